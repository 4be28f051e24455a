// Files and block devices as byte sources (see file_byte_source.hpp).
#include "rescue/io/file_byte_source.hpp"

#include "rescue/util/error.hpp"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace kvmr::io {

std::uint64_t source_size(int fd, const std::string &path, bool *is_block) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw SysError(path, "stat", errno);
  }
  if (is_block != nullptr) {
    *is_block = S_ISBLK(st.st_mode);
  }
  if (S_ISREG(st.st_mode)) {
    return static_cast<std::uint64_t>(st.st_size);
  }
  if (S_ISBLK(st.st_mode)) {
    std::uint64_t bytes = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
      throw SysError(path, "BLKGETSIZE64", errno);
    }
    return bytes;
  }
  throw InputError(path + ": neither a regular file nor a block device");
}

std::vector<Extent> file_data_extents(int fd, const std::string &path, std::uint64_t from,
                                      std::uint64_t end) {
  std::vector<Extent> out;
  std::uint64_t at = from;
  while (at < end) {
    const off_t data = ::lseek(fd, static_cast<off_t>(at), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) { // no data after AT: the rest is a hole
        break;
      }
      if (errno == EINVAL || errno == EOPNOTSUPP) { // cannot tell: all data
        append_extent(out, {at, end - at, ExtentKind::data});
        return out;
      }
      throw SysError(path, "SEEK_DATA at offset " + std::to_string(at), errno);
    }
    const auto d = std::min(static_cast<std::uint64_t>(data), end);
    append_extent(out, {at, d - at, ExtentKind::hole});
    if (d >= end) {
      return out;
    }
    const off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) {
      throw SysError(path, "SEEK_HOLE at offset " + std::to_string(d), errno);
    }
    const auto h = std::min(static_cast<std::uint64_t>(hole), end);
    append_extent(out, {d, h - d, ExtentKind::data});
    at = h;
  }
  append_extent(out, {at, end - at, ExtentKind::hole});
  return out;
}

FileByteSource::FileByteSource(std::string path)
    : path_(std::move(path)), fd_(open_read_only(path_)), direct_(path_) {
  size_ = source_size(fd_.get(), path_, &block_);
}

std::size_t FileByteSource::read_at(std::uint64_t offset, std::span<std::byte> out) {
  if (offset >= size_) {
    return 0;
  }
  if (out.size() > size_ - offset) {
    out = out.first(static_cast<std::size_t>(size_ - offset));
  }
  return kvmr::read_at(fd_.get(), path_, out, offset);
}

std::size_t FileByteSource::read_direct(std::uint64_t offset, std::span<std::byte> out) {
  if (offset >= size_) {
    return 0;
  }
  if (out.size() > size_ - offset) {
    out = out.first(static_cast<std::size_t>(size_ - offset));
  }
  return direct_.read(fd_.get(), offset, out);
}

std::vector<Extent> FileByteSource::extents(std::uint64_t from, std::uint64_t length) {
  const std::uint64_t end = clipped_end(size_, from, length);
  if (block_) {
    std::vector<Extent> out;
    append_extent(out, {from, end > from ? end - from : 0, ExtentKind::data});
    return out;
  }
  return file_data_extents(fd_.get(), path_, from, end);
}

} // namespace kvmr::io
