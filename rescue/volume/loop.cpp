// Read-only loop devices through /dev/loop-control and LOOP_CONFIGURE
// (LOOP_SET_FD + LOOP_SET_STATUS64 on kernels without it).
#include "rescue/volume/loop.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <linux/loop.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace kvmr::volume {
namespace {

constexpr int kAttachAttempts = 16;

#ifndef LOOP_CONFIGURE
constexpr unsigned long LOOP_CONFIGURE = 0x4C0A;
struct loop_config {
  __u32 fd;
  __u32 block_size;
  struct loop_info64 info;
  __u64 __reserved[8];
};
#endif

loop_info64 make_info(const LoopSpec &spec, bool writable) {
  loop_info64 info{};
  info.lo_offset = spec.offset;
  info.lo_sizelimit = spec.size_limit;
  info.lo_flags = writable ? LO_FLAGS_AUTOCLEAR : LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
  std::strncpy(reinterpret_cast<char *>(info.lo_file_name), spec.backing.c_str(), LO_NAME_SIZE - 1);
  return info;
}

// Binds BACKING_FD to the loop device LOOP_FD; false on EBUSY (another
// process took the device first).
bool bind(int loop_fd, int backing_fd, const LoopSpec &spec, const std::string &dev,
          bool writable) {
  loop_config cfg{};
  cfg.fd = static_cast<__u32>(backing_fd);
  cfg.info = make_info(spec, writable);
  if (::ioctl(loop_fd, LOOP_CONFIGURE, &cfg) == 0) {
    return true;
  }
  if (errno == EBUSY) {
    return false;
  }
  if (errno != EINVAL && errno != ENOTTY) {
    throw SysError(dev, "LOOP_CONFIGURE for " + spec.backing, errno);
  }
  // Older kernel: two steps.
  if (::ioctl(loop_fd, LOOP_SET_FD, backing_fd) != 0) {
    if (errno == EBUSY) {
      return false;
    }
    throw SysError(dev, "LOOP_SET_FD for " + spec.backing, errno);
  }
  loop_info64 info = make_info(spec, writable);
  if (::ioctl(loop_fd, LOOP_SET_STATUS64, &info) != 0) {
    const int err = errno;
    ::ioctl(loop_fd, LOOP_CLR_FD, 0);
    throw SysError(dev, "LOOP_SET_STATUS64 for " + spec.backing, err);
  }
  return true;
}

std::string read_sys(const std::string &path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

} // namespace

LoopDevice LoopDevice::attach_read_only(const LoopSpec &spec) {
  return attach(spec, false);
}

LoopDevice LoopDevice::attach_read_write(const LoopSpec &spec) {
  return attach(spec, true);
}

LoopDevice LoopDevice::attach(const LoopSpec &spec, bool writable) {
  UniqueFd backing = writable ? UniqueFd(::open(spec.backing.c_str(), O_RDWR | O_CLOEXEC))
                              : open_read_only(spec.backing);
  if (!backing.valid()) {
    throw SysError(spec.backing, "open read-write", errno);
  }
  UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control.valid()) {
    throw SysError("/dev/loop-control", "open (loop devices need root)", errno);
  }
  for (int attempt = 0; attempt < kAttachAttempts; ++attempt) {
    const int n = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) {
      throw SysError("/dev/loop-control", "LOOP_CTL_GET_FREE", errno);
    }
    std::string dev = "/dev/loop" + std::to_string(n);
    const int fd = ::open(dev.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
      throw SysError(dev, "open", errno);
    }
    UniqueFd loop_fd(fd);
    if (bind(loop_fd.get(), backing.get(), spec, dev, writable)) {
      return LoopDevice(std::move(dev), loop_fd.release(), spec);
    }
  }
  throw SysError(spec.backing, "attach a loop device (every free one was taken)", EBUSY);
}

LoopDevice::LoopDevice(LoopDevice &&other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), spec_(std::move(other.spec_)) {
  other.fd_ = -1;
  other.path_.clear();
}

LoopDevice &LoopDevice::operator=(LoopDevice &&other) noexcept {
  if (this != &other) {
    reset();
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    spec_ = std::move(other.spec_);
    other.fd_ = -1;
    other.path_.clear();
  }
  return *this;
}

LoopDevice::~LoopDevice() {
  reset();
}

void LoopDevice::reset() noexcept {
  if (fd_ >= 0) {
    ::ioctl(fd_, LOOP_CLR_FD, 0); // may fail while mounted: autoclear then frees it
    ::close(fd_);
    fd_ = -1;
  }
}

void LoopDevice::detach() {
  if (fd_ < 0) {
    return;
  }
  if (::ioctl(fd_, LOOP_CLR_FD, 0) != 0 && errno != ENXIO) {
    throw SysError(path_, "detach loop device", errno);
  }
  ::close(fd_);
  fd_ = -1;
}

void LoopDevice::release() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool loop_bound_to(const std::string &dev, const std::string &backing, std::uint64_t offset) {
  const std::string name = std::filesystem::path(dev).filename().string();
  const std::string sys = "/sys/block/" + name + "/loop/";
  std::error_code ec;
  const auto want = std::filesystem::weakly_canonical(backing, ec);
  const std::string have = read_sys(sys + "backing_file");
  if (have.empty() || (have != backing && have != want.string())) {
    return false;
  }
  return read_sys(sys + "offset") == std::to_string(offset);
}

bool detach_if_bound(const std::string &dev, const std::string &backing, std::uint64_t offset) {
  if (!loop_bound_to(dev, backing, offset)) {
    return false;
  }
  const int fd = ::open(dev.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const bool ok = ::ioctl(fd, LOOP_CLR_FD, 0) == 0;
  ::close(fd);
  return ok;
}

} // namespace kvmr::volume
