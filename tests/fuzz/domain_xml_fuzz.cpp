// libFuzzer target for the libvirt domain definition reader
// (rescue/scan/domain_xml.hpp, through xml_doc.hpp's libxml2 wrapper): any
// bytes as the XML file; it either parses or is refused with InputError, never
// crashes, and what parses keeps the file's text unchanged.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./domain_xml_fuzz corpus/domain_xml
#include "rescue/scan/domain_xml.hpp"
#include "rescue/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  try {
    const auto parsed = kvmr::scan::parse_domain_xml(text, "fuzz.xml");
    if (parsed.xml != text || parsed.name.empty()) {
      std::abort();
    }
    (void)parsed.uefi();
    for (const auto &d : parsed.disks) {
      (void)d.source.path();
    }
  } catch (const kvmr::InputError &) {
    // refused: the expected outcome for most inputs
  }
  return 0;
}
