// Read-only mounts and private mount directories (see mount.hpp).
#include "rescue/volume/mount.hpp"
#include "rescue/volume/mountinfo.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace kvmr::volume {
namespace {

constexpr unsigned long kReadOnlyFlags = MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC;

// The kernel log from "now" on: opened before the mount, read after it
// fails, keeping the lines that name the device.
class KmsgTail {
public:
  KmsgTail() : fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
    if (fd_.valid()) {
      ::lseek(fd_.get(), 0, SEEK_END);
    }
  }
  std::vector<std::string> lines_about(const std::string &device) {
    std::vector<std::string> out;
    if (!fd_.valid()) {
      return out;
    }
    const std::string name = std::filesystem::path(device).filename().string();
    std::array<char, 8192> buf{};
    for (;;) {
      const ssize_t n = ::read(fd_.get(), buf.data(), buf.size() - 1);
      if (n < 0 && errno == EPIPE) {
        continue; // records were overwritten; go on with the next
      }
      if (n <= 0) {
        break;
      }
      const std::string rec(buf.data(), static_cast<std::size_t>(n));
      const auto semi = rec.find(';');
      std::string msg = semi == std::string::npos ? rec : rec.substr(semi + 1);
      msg = msg.substr(0, msg.find('\n'));
      if (msg.find(name) != std::string::npos) {
        out.push_back(msg);
      }
    }
    return out;
  }

private:
  UniqueFd fd_;
};

} // namespace

std::string read_only_mount_data(const std::string &fstype) {
  if (fstype == "xfs") {
    return "norecovery,nouuid";
  }
  if (fstype == "ext3" || fstype == "ext4") {
    return "noload";
  }
  return {};
}

Mount Mount::read_only(const std::string &device, const std::string &target,
                       const std::string &fstype) {
  KmsgTail kmsg;
  const std::string data = read_only_mount_data(fstype);
  if (::mount(device.c_str(), target.c_str(), fstype.c_str(), kReadOnlyFlags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    const int err = errno;
    auto lines = kmsg.lines_about(device);
    std::string what = device + ": mount " + fstype + " read-only (" +
                       (data.empty() ? "ro" : "ro," + data) + ") on " + target + ": " +
                       std::strerror(err);
    if (err == ENODEV) {
      what += " (this kernel has no " + fstype + " driver)";
    }
    for (const auto &l : lines) {
      what += "\n  kernel: " + l;
    }
    throw MountError(what, err, std::move(lines));
  }
  return Mount(target);
}

Mount &Mount::operator=(Mount &&other) noexcept {
  if (this != &other) {
    if (!target_.empty()) {
      unmount_if_mounted(target_);
    }
    target_ = std::move(other.target_);
    other.target_.clear();
  }
  return *this;
}

Mount::~Mount() {
  if (!target_.empty()) {
    unmount_if_mounted(target_);
  }
}

void Mount::unmount() {
  if (target_.empty()) {
    return;
  }
  if (::umount2(target_.c_str(), 0) != 0) {
    throw SysError(target_, "unmount", errno);
  }
  target_.clear();
}

std::string mount_path_of(const std::string &path) {
  // Only the parent is resolved: the mount point itself may be a dead
  // filesystem (shut down, its disk gone) whose root cannot be stat()ed,
  // and it must still be found to be unmounted.
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec).lexically_normal();
  fs::path parent = abs.parent_path();
  fs::path name = abs.filename();
  if (name.empty()) { // "dir/"
    name = parent.filename();
    parent = parent.parent_path();
  }
  if (fs::is_symlink(abs, ec)) { // lstat: a dead filesystem's root is no link
    const fs::path target = fs::weakly_canonical(abs, ec);
    if (!ec) {
      return target.string();
    }
  }
  const fs::path canon_parent = fs::weakly_canonical(parent, ec);
  return ec ? abs.string() : (canon_parent / name).string();
}

bool is_mount_point(const std::string &path) {
  const std::string canon = mount_path_of(path);
  return std::ranges::any_of(read_mountinfo(),
                             [&](const MountEntry &m) { return m.mount_point == canon; });
}

bool unmount_if_mounted(const std::string &target) noexcept {
  try {
    if (!is_mount_point(target)) {
      return false;
    }
    if (::umount2(target.c_str(), 0) == 0) {
      return true;
    }
    return ::umount2(target.c_str(), MNT_DETACH) == 0;
  } catch (...) {
    return false;
  }
}

TempDir::TempDir(const std::string &parent, const std::string &prefix) {
  std::filesystem::create_directories(parent);
  ::chmod(parent.c_str(), 0700);
  std::string tmpl = parent + "/" + prefix + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw SysError(tmpl, "make a private directory", errno);
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    ::rmdir(path_.c_str());
  }
}

} // namespace kvmr::volume
