// Writing NAME.partial (see partial_file.hpp).
#include "rescue/copy/partial_file.hpp"

#include "rescue/util/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace kvmr::copy {

bool all_zero(std::span<const std::byte> data) {
  if (data.empty()) {
    return true;
  }
  return data[0] == std::byte{0} && std::memcmp(data.data(), data.data() + 1, data.size() - 1) == 0;
}

PartialFile::PartialFile(std::string path, bool fresh, bool direct) : path_(std::move(path)) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (fresh ? O_TRUNC : 0);
  fd_ = UniqueFd(::open(path_.c_str(), flags, 0600));
  if (!fd_.valid()) {
    throw SysError(path_, fresh ? "create" : "open for writing", errno);
  }
  if (!direct) {
    return;
  }
  UniqueFd dfd(::open(path_.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT));
  if (!dfd.valid()) {
    if (errno == EINVAL) { // the filesystem has no direct I/O
      return;
    }
    throw SysError(path_, "open for writing with O_DIRECT", errno);
  }
  if (const auto a = io::dio_alignment(dfd.get())) {
    align_ = *a;
    direct_fd_ = std::move(dfd);
  }
}

std::size_t PartialFile::write_direct(std::uint64_t offset, std::span<const std::byte> data) {
  // A direct write waits for the device; short runs of data between
  // zeros are left to the page cache, which gathers them.
  constexpr std::size_t min_direct = std::size_t{256} << 10U;
  if (!direct_fd_.valid() || data.size() < min_direct || offset % align_.offset != 0 ||
      reinterpret_cast<std::uintptr_t>(data.data()) % align_.memory != 0) {
    return 0;
  }
  const std::size_t want = data.size() / align_.offset * align_.offset;
  std::size_t done = 0;
  while (done < want) {
    const ssize_t n = ::pwrite(direct_fd_.get(), data.data() + done, want - done,
                               static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EINVAL) { // refused after all: ordinary writes from here on
        direct_fd_ = UniqueFd();
        break;
      }
      throw SysError(path_, "write at offset " + std::to_string(offset + done), errno);
    }
    if (n == 0) {
      throw SysError(path_, "write at offset " + std::to_string(offset + done), ENOSPC);
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void PartialFile::set_size(std::uint64_t size) {
  if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
    throw SysError(path_, "set size to " + std::to_string(size), errno);
  }
}

void PartialFile::write_all(std::uint64_t offset, std::span<const std::byte> data) {
  std::size_t done = write_direct(offset, data);
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd_.get(), data.data() + done, data.size() - done,
                               static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SysError(path_, "write at offset " + std::to_string(offset + done), errno);
    }
    if (n == 0) {
      throw SysError(path_, "write at offset " + std::to_string(offset + done), ENOSPC);
    }
    done += static_cast<std::size_t>(n);
  }
}

std::uint64_t PartialFile::write_sparse(std::uint64_t offset, std::span<const std::byte> data,
                                        std::size_t grain) {
  std::uint64_t written = 0;
  std::size_t i = 0;
  std::size_t run_start = 0;
  bool in_run = false;
  while (i < data.size()) {
    // Pieces end at GRAIN boundaries of the file.
    const std::uint64_t at = offset + i;
    const auto len =
        static_cast<std::size_t>(std::min<std::uint64_t>(grain - at % grain, data.size() - i));
    const bool zero = all_zero(data.subspan(i, len));
    if (!zero && !in_run) {
      run_start = i;
      in_run = true;
    } else if (zero && in_run) {
      write_all(offset + run_start, data.subspan(run_start, i - run_start));
      written += i - run_start;
      in_run = false;
    }
    i += len;
  }
  if (in_run) {
    write_all(offset + run_start, data.subspan(run_start));
    written += data.size() - run_start;
  }
  return written;
}

void PartialFile::punch_hole(std::uint64_t offset, std::uint64_t length) {
  if (length == 0) {
    return;
  }
  if (::fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(length)) == 0) {
    return;
  }
  if (errno != EOPNOTSUPP) {
    throw SysError(path_, "punch hole at offset " + std::to_string(offset), errno);
  }
  static const std::array<std::byte, std::size_t{64} << 10U> zeros{};
  while (length > 0) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(length, zeros.size()));
    write_all(offset, std::span(zeros).first(n));
    offset += n;
    length -= n;
  }
}

void PartialFile::read_exact(std::uint64_t offset, std::span<std::byte> out) {
  // The write-only descriptor cannot read: a read-only one for this call.
  const UniqueFd rfd = open_read_only(path_);
  if (kvmr::read_at(rfd.get(), path_, out, offset) != out.size()) {
    throw SysError(path_, "read at offset " + std::to_string(offset) + ": file too short", EIO);
  }
}

void PartialFile::datasync() {
  if (::fdatasync(fd_.get()) != 0) {
    throw SysError(path_, "fdatasync", errno);
  }
}

void PartialFile::start_writeback(std::uint64_t offset, std::uint64_t length) noexcept {
  // A hint: errors surface at the fsync that follows.
  (void)::sync_file_range(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(length),
                          SYNC_FILE_RANGE_WRITE);
}

void PartialFile::sync() {
  if (::fsync(fd_.get()) != 0) {
    throw SysError(path_, "fsync", errno);
  }
}

void PartialFile::write_back_and_drop(std::uint64_t offset, std::uint64_t length) {
  const auto off = static_cast<off_t>(offset);
  const auto len = static_cast<off_t>(length);
  if (::sync_file_range(fd_.get(), off, len,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                            SYNC_FILE_RANGE_WAIT_AFTER) != 0) {
    throw SysError(path_, "write back at offset " + std::to_string(offset), errno);
  }
  if (const int err = ::posix_fadvise(fd_.get(), off, len, POSIX_FADV_DONTNEED); err != 0) {
    throw SysError(path_, "posix_fadvise DONTNEED at offset " + std::to_string(offset), err);
  }
}

std::uint64_t PartialFile::allocated_bytes() const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) {
    throw SysError(path_, "stat", errno);
  }
  return static_cast<std::uint64_t>(st.st_blocks) * 512U;
}

void PartialFile::close() {
  direct_fd_.close(path_);
  fd_.close(path_);
}

} // namespace kvmr::copy
