// A regular file or a block device as a ByteSource, opened
// O_RDONLY|O_CLOEXEC and never writable; read_direct opens it a second
// time with O_DIRECT, on first use (io::DirectReader). Holes of a sparse file are found
// with SEEK_DATA/SEEK_HOLE; a block device is all data.
#pragma once

#include "rescue/io/byte_source.hpp"
#include "rescue/io/direct_reader.hpp"
#include "rescue/util/fd.hpp"

namespace kvmr::io {

class FileByteSource final : public ByteSource {
public:
  // Throws SysError naming PATH when it cannot be opened or sized, and
  // InputError when it is neither a regular file nor a block device.
  explicit FileByteSource(std::string path);

  [[nodiscard]] std::uint64_t size() const override { return size_; }
  [[nodiscard]] std::string describe() const override { return path_; }
  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) override;
  std::size_t read_direct(std::uint64_t offset, std::span<std::byte> out) override;
  std::vector<Extent> extents(std::uint64_t from, std::uint64_t length) override;
  [[nodiscard]] bool is_block_device() const { return block_; }

private:
  std::string path_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
  bool block_ = false;
  DirectReader direct_;
};

// The data and holes of the open regular file FD (PATH for messages) over
// [FROM, END), from SEEK_DATA/SEEK_HOLE; all data where the filesystem
// cannot tell. Offsets are file offsets. Throws SysError naming PATH.
std::vector<Extent> file_data_extents(int fd, const std::string &path, std::uint64_t from,
                                      std::uint64_t end);

// The size in bytes of a regular file or block device open as FD.
// Throws SysError naming PATH, InputError for other file types.
std::uint64_t source_size(int fd, const std::string &path, bool *is_block = nullptr);

} // namespace kvmr::io
