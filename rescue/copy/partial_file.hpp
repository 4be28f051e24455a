// The file a copy writes into, NAME.partial: created mode 0600 (it may
// hold secrets before the source's mode is applied), sized up front so
// what is never written stays a hole, written only where the data is not
// zero. Every failure throws SysError naming this file, so "No space left
// on device" reaches the user with the target's name.
#pragma once

#include "rescue/util/fd.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace kvmr::copy {

class PartialFile {
public:
  // Opens PATH for writing, creating it; FRESH truncates it to nothing.
  PartialFile(std::string path, bool fresh);

  [[nodiscard]] const std::string &path() const { return path_; }
  [[nodiscard]] int fd() const { return fd_.get(); }

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
  std::string path_;
  UniqueFd fd_;
};

// True when every byte of DATA is zero.
bool all_zero(std::span<const std::byte> data);

} // namespace kvmr::copy
