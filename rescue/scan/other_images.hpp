// The headers of the image formats other than raw and qcow2 that qemu-img
// opens (vmdk, vhdx, vpc, parallels, qed, vdi, qcow v1), read as far as a
// rescue needs: the virtual size (vhdx: from its metadata region), the
// backing file a qed, qcow v1 or VMDK delta names, and the extent files a
// VMDK descriptor lists. Read through io::SourceTree; never throws for
// what the old host holds (a bad header is a Problem).
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/scan/image_chain.hpp"
#include "rescue/scan/image_format.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

struct OtherImage {
  std::optional<std::uint64_t> virtual_size; // unset: not where the format puts it
  std::string backing_name;                  // as written; empty: none
  std::string backing_format;                // recorded or implied; empty: probed
  std::vector<std::string> extent_names;     // VMDK extents in other files, as written
  std::vector<Problem> problems;
};

// Reads the image at REAL_PATH (named PATH in messages and for resolving
// relative names) of format F, whose first bytes are HEAD and whose
// apparent size is SIZE.
OtherImage read_other_image(io::SourceTree &tree, const std::string &path,
                            const std::string &real_path, ImageFormat f, std::string_view head,
                            std::uint64_t size);

// True when the footer at the end of a file whose last 512 bytes are TAIL
// is a fixed VHD's ("conectix"), which has no header at the start.
bool is_fixed_vhd_footer(std::string_view tail) noexcept;

} // namespace kvmr::scan
