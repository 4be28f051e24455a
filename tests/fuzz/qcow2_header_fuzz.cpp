// libFuzzer target for the qcow2 header parser and the format sniffer: any
// bytes are sniffed, then parsed as the first bytes of a file both as a
// short read (which may ask for more) and as the whole file; when more is
// asked for, the request must be bounded and honoured on a second parse.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./qcow2_header_fuzz corpus/
#include "rescue/scan/image_format.hpp"
#include "rescue/scan/qcow2.hpp"
#include "rescue/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  (void)kvmr::scan::sniff_format(bytes);
  try {
    (void)kvmr::scan::parse_qcow2_header(bytes, "fuzz", true);
  } catch (const kvmr::InputError &) {
    // refused: the expected outcome for most inputs
  }
  try {
    // Once the fixed fields were given, one more read completes the parse.
    std::vector<std::byte> more(bytes.begin(), bytes.end());
    const int reads = size >= 72 ? 1 : 2;
    for (int i = 0; i <= reads; ++i) {
      const auto h = kvmr::scan::parse_qcow2_header(more, "fuzz", false);
      if (h.complete()) {
        break;
      }
      // A request stays within the first cluster plus a backing name.
      if (i == reads || h.need_prefix <= more.size() ||
          h.need_prefix > (std::uint64_t{1} << 21U) + 1023U) {
        std::abort();
      }
      more.resize(static_cast<std::size_t>(h.need_prefix));
    }
  } catch (const kvmr::InputError &) {
    // refused
  }
  return 0;
}
