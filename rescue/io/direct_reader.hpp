// Reads that bypass the page cache (O_DIRECT), for narrowing a failed read
// down to the sectors that fail. Through a filesystem, a buffered read that
// hits one bad sector fails the whole page-cache folio around it (1 MiB on
// this kernel), so splitting a failed block with buffered reads can never
// get below the folio; direct reads fail only the sectors they cover
// (docs/architecture.md, "Copy engine"; integration.bad_sector_fuse).
//
// The file is opened a second time, O_DIRECT, on the first read. Offsets
// and lengths are widened to the direct-I/O alignment the kernel reports
// (statx STATX_DIOALIGN; a block device's logical sector size; else 4096)
// and read through an aligned bounce buffer unless the caller's buffer,
// offset and length are aligned already. The end of a file that is not a
// multiple of the alignment reads short, as it should. Where direct I/O is
// refused (open or read fails with EINVAL, or the filesystem reports no
// direct-I/O alignment) every read is an ordinary buffered one.
#pragma once

#include "rescue/io/aligned_buffer.hpp"
#include "rescue/util/fd.hpp"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>

namespace kvmr::io {

class DirectReader {
public:
  // PATH is opened O_DIRECT on the first read. ASSUMED_ALIGNMENT other
  // than 0 replaces what the kernel reports (tests use it to provoke the
  // EINVAL fallback).
  explicit DirectReader(std::string path, std::uint32_t assumed_alignment = 0);
  DirectReader(const DirectReader &) = delete;
  DirectReader &operator=(const DirectReader &) = delete;
  DirectReader(DirectReader &&) = delete;
  DirectReader &operator=(DirectReader &&) = delete;
  ~DirectReader();

  // Reads up to OUT.size() bytes at OFFSET, like kvmr::read_at: fewer
  // only where the file ends. Buffered through BUFFERED_FD (an ordinary
  // descriptor of the same file) where direct I/O is refused. Throws
  // SysError naming the path and the offset. Thread-safe.
  std::size_t read(int buffered_fd, std::uint64_t offset, std::span<std::byte> out);

  // After the first read: whether reads are direct, and their alignment.
  [[nodiscard]] bool direct() const;
  [[nodiscard]] std::uint32_t alignment() const;

private:
  enum class State { unopened, direct, buffered };
  void open_locked();
  std::size_t read_direct_locked(std::uint64_t offset, std::span<std::byte> out);
  std::span<std::byte> bounce_locked(std::size_t size);

  mutable std::mutex m_;
  std::string path_;
  std::uint32_t assumed_ = 0;
  State state_ = State::unopened;
  UniqueFd fd_;
  std::uint32_t align_ = 4096;     // offsets and lengths
  std::uint32_t mem_align_ = 4096; // buffer addresses
  AlignedBuffer bounce_;
};

} // namespace kvmr::io
