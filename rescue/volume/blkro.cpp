// BLKROSET guard (see blkro.hpp).
#include "rescue/volume/blkro.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <linux/fs.h>
#include <sys/ioctl.h>

#include <cerrno>

namespace kvmr::volume {
namespace {

bool get_ro(int fd, const std::string &device) {
  int ro = 0;
  if (::ioctl(fd, BLKROGET, &ro) != 0) {
    throw SysError(device, "BLKROGET", errno);
  }
  return ro != 0;
}

void set_ro(int fd, const std::string &device, bool on) {
  int v = on ? 1 : 0;
  if (::ioctl(fd, BLKROSET, &v) != 0) {
    throw SysError(device, on ? "BLKROSET (set read-only)" : "BLKROSET (restore read-write)",
                   errno);
  }
}

} // namespace

ReadOnlyGuard::ReadOnlyGuard(std::string device) : device_(std::move(device)) {
  UniqueFd fd = open_read_only(device_);
  previous_ = get_ro(fd.get(), device_);
  if (!previous_) {
    set_ro(fd.get(), device_, true);
  }
}

ReadOnlyGuard::ReadOnlyGuard(ReadOnlyGuard &&other) noexcept
    : device_(std::move(other.device_)), previous_(other.previous_) {
  other.device_.clear();
}

ReadOnlyGuard::~ReadOnlyGuard() {
  if (!device_.empty()) {
    restore_read_only_flag(device_, previous_);
  }
}

bool restore_read_only_flag(const std::string &device, bool previous) noexcept {
  try {
    UniqueFd fd = open_read_only(device);
    if (get_ro(fd.get(), device) == previous) {
      return false;
    }
    set_ro(fd.get(), device, previous);
    return true;
  } catch (...) {
    return false;
  }
}

} // namespace kvmr::volume
