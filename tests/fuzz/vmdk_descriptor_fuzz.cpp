// libFuzzer target for the VMDK descriptor parser and the sparse header
// reader (vmdk_descriptor.hpp): any bytes as a descriptor file and as a
// "KDMV" header. Every extent parsed names a file unless it is a ZERO
// extent, and the virtual size never wraps below an extent's own size.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./vmdk_descriptor_fuzz corpus/vmdk_descriptor
#include "rescue/scan/vmdk_descriptor.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  const kvmr::scan::VmdkDescriptor d = kvmr::scan::parse_vmdk_descriptor(text);
  for (const auto &e : d.extents) {
    if (e.file.empty() && e.kind != "ZERO") {
      std::abort();
    }
    if (e.sectors <= UINT64_MAX / 512U && d.virtual_size() < e.sectors * 512U) {
      std::abort();
    }
  }
  std::string kdmv = "KDMV" + std::string(text);
  (void)kvmr::scan::parse_vmdk_sparse_header(std::as_bytes(std::span(kdmv)));
  (void)kvmr::scan::parse_vmdk_sparse_header(std::as_bytes(std::span(data, size)));
  return 0;
}
