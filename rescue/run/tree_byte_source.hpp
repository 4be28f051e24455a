// A regular file of the old host read through io::SourceTree (the
// libguestfs appliance, or any tree): size from lstat, bytes from
// read_range. All data (the tree cannot tell holes); slow but it lets the
// copy engine work where the kernel cannot mount the old host.
#pragma once

#include "rescue/io/byte_source.hpp"
#include "rescue/io/source_tree.hpp"

#include <string>

namespace kvmr::run {

class TreeByteSource final : public io::ByteSource {
public:
  // Throws InputError naming PATH when it is not a regular file.
  TreeByteSource(io::SourceTree &tree, std::string path);

  [[nodiscard]] std::uint64_t size() const override { return size_; }
  [[nodiscard]] std::string describe() const override { return path_; }
  // Failures of the tree (GuestfsError, InputError) become SysError(EIO)
  // naming the path and offset, so the copy engine treats them as
  // unreadable bytes.
  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) override;

private:
  io::SourceTree &tree_;
  std::string path_;
  std::uint64_t size_ = 0;
};

} // namespace kvmr::run
