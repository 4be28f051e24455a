// The alignment direct I/O (O_DIRECT) needs on a file or block device:
// file offsets and lengths, and buffer addresses. Shared by the direct
// reads of a source (direct_reader.hpp) and the direct writes of a copy's
// target (copy/partial_file.hpp).
#pragma once

#include <cstdint>
#include <optional>

namespace kvmr::io {

struct DioAlignment {
  std::uint32_t offset = 4096; // file offsets and lengths
  std::uint32_t memory = 4096; // buffer addresses
};

// For the file open (O_DIRECT) as FD: what statx STATX_DIOALIGN reports;
// else a block device's logical sector size; else 4096 for both, coarser
// than some devices need, never wrong. Nothing when the filesystem reports
// that it has no direct I/O.
std::optional<DioAlignment> dio_alignment(int fd);

} // namespace kvmr::io
