// The file a copy writes into, NAME.partial: created mode 0600 (it may
// hold secrets before the source's mode is applied), sized up front so
// what is never written stays a hole, written only where the data is not
// zero. Every failure throws SysError naming this file, so "No space left
// on device" reaches the user with the target's name.
//
// Direct writes: the file is opened a second time with O_DIRECT, and each
// write of 256 KiB or more whose offset and buffer are aligned as the
// filesystem requires (dio_alignment.hpp) goes through it, up to its last
// whole aligned unit: no copy into the page cache, and the device gets
// the data as it is written, not at the next writeback. The rest (the end
// of a file whose size is not a multiple of the alignment, unaligned
// buffers, short runs of data between zeros) is written the ordinary way.
// Where the filesystem refuses direct I/O (at open, or EINVAL on a write)
// every write is ordinary. Either way sync() and datasync() make it all
// durable.
#pragma once

#include "rescue/io/dio_alignment.hpp"
#include "rescue/util/fd.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace kvmr::copy {

class PartialFile {
public:
  // Opens PATH for writing, creating it; FRESH truncates it to nothing.
  // DIRECT: writes go direct where they can (above).
  PartialFile(std::string path, bool fresh, bool direct = false);

  [[nodiscard]] const std::string &path() const { return path_; }
  [[nodiscard]] int fd() const { return fd_.get(); }
  // Whether aligned writes go direct (not after the filesystem refused).
  [[nodiscard]] bool writes_direct() const { return direct_fd_.valid(); }

  void set_size(std::uint64_t size);
  // Writes DATA at OFFSET, skipping every all-zero GRAIN-sized piece
  // (aligned to GRAIN in the file), so zeros stay holes. Returns the bytes
  // written.
  std::uint64_t write_sparse(std::uint64_t offset, std::span<const std::byte> data,
                             std::size_t grain);
  void write_all(std::uint64_t offset, std::span<const std::byte> data);
  // Makes [OFFSET, OFFSET+LENGTH) a hole (zeros written where the
  // filesystem cannot punch holes).
  void punch_hole(std::uint64_t offset, std::uint64_t length);
  void read_exact(std::uint64_t offset, std::span<std::byte> out);
  void datasync();
  // Starts writing [OFFSET, OFFSET+LENGTH) back to the device without
  // waiting, so dirty pages do not pile up behind the copy.
  void start_writeback(std::uint64_t offset, std::uint64_t length) noexcept;
  // Writes [OFFSET, OFFSET+LENGTH) back to the device and waits for it
  // (sync_file_range; no cache flush: that is sync()'s job), then drops
  // those pages from the page cache, so the next read of the range comes
  // from the device.
  void write_back_and_drop(std::uint64_t offset, std::uint64_t length);
  void sync();
  // Bytes allocated on disk (st_blocks * 512).
  [[nodiscard]] std::uint64_t allocated_bytes() const;
  void close();

private:
  // Writes the aligned start of DATA at OFFSET direct; returns the bytes
  // written, 0 when nothing could go direct.
  std::size_t write_direct(std::uint64_t offset, std::span<const std::byte> data);

  std::string path_;
  UniqueFd fd_;
  UniqueFd direct_fd_; // O_DIRECT, when the filesystem allows
  io::DioAlignment align_;
};

// True when every byte of DATA is zero.
bool all_zero(std::span<const std::byte> data);

} // namespace kvmr::copy
