// File descriptor ownership and positional reads (see fd.hpp).
#include "rescue/util/fd.hpp"

#include "rescue/util/error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace kvmr {

UniqueFd &UniqueFd::operator=(UniqueFd &&other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

int UniqueFd::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::close(const std::string &path) {
  const int fd = release();
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) {
    throw SysError(path, "close", errno);
  }
}

UniqueFd open_read_only(const std::string &path, int extra_flags) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | extra_flags);
  if (fd < 0) {
    throw SysError(path, "open read-only", errno);
  }
  return UniqueFd(fd);
}

std::size_t read_at(int fd, const std::string &path, std::span<std::byte> buf,
                    std::uint64_t offset) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n =
        ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SysError(path, "read at offset " + std::to_string(offset + done), errno);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

std::vector<std::byte> read_bytes(int fd, const std::string &path, std::uint64_t offset,
                                  std::size_t len) {
  std::vector<std::byte> buf(len);
  buf.resize(read_at(fd, path, buf, offset));
  return buf;
}

} // namespace kvmr
