// libFuzzer target for the fstab reader (rescue/volume/fstab.hpp): any
// bytes as /etc/fstab; every entry has a spec, a mount point and a type and
// a line within the file, and each spec is classified without a crash.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./fstab_fuzz corpus/fstab
#include "rescue/volume/fstab.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  int lines = 1;
  for (const char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  for (const auto &e : kvmr::volume::parse_fstab(text)) {
    if (e.line < 1 || e.line > lines || e.fstype.empty()) {
      std::abort();
    }
    (void)kvmr::volume::is_local_mount(e);
    (void)kvmr::volume::parse_spec(e.spec);
  }
  (void)kvmr::volume::parse_spec(text);
  return 0;
}
