// libFuzzer target for the libvirt secret definition reader
// (rescue/scan/secret_xml.hpp, through xml_doc.hpp's libxml2 wrapper): any
// bytes as the XML file; it either parses or is refused with InputError, never
// crashes, and what parses has its <uuid>.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./secret_xml_fuzz corpus/secret_xml
#include "rescue/scan/secret_xml.hpp"
#include "rescue/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  try {
    const auto parsed = kvmr::scan::parse_secret_xml(text, "fuzz.xml");
    if (parsed.uuid.empty()) {
      std::abort();
    }
  } catch (const kvmr::InputError &) {
    // refused: the expected outcome for most inputs
  }
  return 0;
}
