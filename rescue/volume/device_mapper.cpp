// device-mapper through its ioctls (see device_mapper.hpp). The layout of
// a DM_TABLE_LOAD buffer: struct dm_ioctl, then per target a struct
// dm_target_spec followed by its NUL-terminated parameters, padded to 8
// bytes; each spec's `next` is the distance to the following one.
#include "rescue/volume/device_mapper.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

namespace kvmr::volume {
namespace {

constexpr const char *kControl = "/dev/mapper/control";
constexpr int kRemoveAttempts = 20;
constexpr int kNodeWaitSteps = 50;
constexpr auto kStep = std::chrono::milliseconds(100);

std::size_t align8(std::size_t n) {
  return (n + 7U) & ~std::size_t{7U};
}

// A dm_ioctl header followed by DATA, ready for the kernel.
class IoctlBuffer {
public:
  IoctlBuffer(const std::string &name, std::uint32_t flags, std::size_t data_size = 0)
      : buf_(align8(sizeof(dm_ioctl)) + data_size) {
    dm_ioctl io{};
    io.version[0] = DM_VERSION_MAJOR;
    io.data_size = static_cast<std::uint32_t>(buf_.size());
    io.data_start = static_cast<std::uint32_t>(align8(sizeof(dm_ioctl)));
    io.flags = flags;
    std::strncpy(io.name, name.c_str(), DM_NAME_LEN - 1);
    std::memcpy(buf_.data(), &io, sizeof io);
  }
  [[nodiscard]] dm_ioctl header() const {
    dm_ioctl io{};
    std::memcpy(&io, buf_.data(), sizeof io);
    return io;
  }
  void set_target_count(std::uint32_t n) {
    dm_ioctl io = header();
    io.target_count = n;
    std::memcpy(buf_.data(), &io, sizeof io);
  }
  std::byte *data() { return buf_.data() + align8(sizeof(dm_ioctl)); }
  void *raw() { return buf_.data(); }

private:
  std::vector<std::byte> buf_;
};

UniqueFd open_control() {
  const int fd = ::open(kControl, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    throw SysError(kControl, "open", errno);
  }
  return UniqueFd(fd);
}

void dm_call(int control, unsigned long request, IoctlBuffer &b, const std::string &name,
             const char *what) {
  if (::ioctl(control, request, b.raw()) != 0) {
    throw SysError(name, what, errno);
  }
}

IoctlBuffer table_buffer(const std::string &name, const std::vector<DmTarget> &table) {
  std::size_t size = 0;
  for (const auto &t : table) {
    size += align8(sizeof(dm_target_spec) + t.params.size() + 1);
  }
  IoctlBuffer b(name, DM_READONLY_FLAG, size);
  std::byte *at = b.data();
  for (const auto &t : table) {
    const std::size_t step = align8(sizeof(dm_target_spec) + t.params.size() + 1);
    dm_target_spec spec{};
    spec.sector_start = t.start;
    spec.length = t.length;
    spec.next = static_cast<std::uint32_t>(step);
    std::strncpy(spec.target_type, t.type.c_str(), DM_MAX_TYPE_NAME - 1);
    std::memcpy(at, &spec, sizeof spec);
    std::memcpy(at + sizeof spec, t.params.c_str(), t.params.size() + 1);
    at += step;
  }
  b.set_target_count(static_cast<std::uint32_t>(table.size()));
  return b;
}

bool remove_device(int control, const std::string &name, int &err) {
  for (int i = 0; i < kRemoveAttempts; ++i) {
    IoctlBuffer b(name, 0);
    if (::ioctl(control, DM_DEV_REMOVE, b.raw()) == 0) {
      return true;
    }
    err = errno;
    if (err != EBUSY) {
      return false;
    }
    std::this_thread::sleep_for(kStep); // a closing opener (udev, blkid)
  }
  return false;
}

// Waits for devtmpfs to show the node of DEV; its path.
std::string wait_for_node(const std::string &name, dev_t dev) {
  const std::string path = fmt::format("/dev/dm-{}", minor(dev));
  for (int i = 0; i < kNodeWaitSteps; ++i) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == dev) {
      return path;
    }
    std::this_thread::sleep_for(kStep);
  }
  throw SysError(name, fmt::format("wait for {} ({}:{})", path, major(dev), minor(dev)), ENOENT);
}

} // namespace

std::string device_mapper_problem() {
  const int fd = ::open(kControl, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return fmt::format("DM_VERSION failed: cannot open {}: {}", kControl, std::strerror(errno));
  }
  dm_ioctl io{};
  io.version[0] = DM_VERSION_MAJOR;
  io.data_size = sizeof io;
  const bool ok = ::ioctl(fd, DM_VERSION, &io) == 0;
  const int err = errno;
  ::close(fd);
  return ok ? std::string() : fmt::format("DM_VERSION failed: {}", std::strerror(err));
}

bool device_mapper_available() noexcept {
  try {
    return device_mapper_problem().empty();
  } catch (...) {
    return false;
  }
}

std::string dm_device_name(int pid, const std::string &vg, const std::string &lv) {
  auto name = fmt::format("kvmr-{}-{}-{}", pid, vg, lv);
  if (name.size() >= DM_NAME_LEN) {
    throw InputError(
        fmt::format("device-mapper name {} is longer than {} characters", name, DM_NAME_LEN - 1));
  }
  return name;
}

DmDevice DmDevice::create_read_only(const std::string &name, const std::vector<DmTarget> &table) {
  if (name.empty() || name.size() >= DM_NAME_LEN) {
    throw InputError("bad device-mapper name '" + name + "'");
  }
  const UniqueFd control = open_control();
  IoctlBuffer create(name, DM_READONLY_FLAG);
  dm_call(control.get(), DM_DEV_CREATE, create, name, "DM_DEV_CREATE");
  DmDevice d;
  d.name_ = name; // from here on the destructor removes it
  IoctlBuffer load = table_buffer(name, table);
  dm_call(control.get(), DM_TABLE_LOAD, load, name, "DM_TABLE_LOAD (read-only)");
  IoctlBuffer resume(name, 0);
  dm_call(control.get(), DM_DEV_SUSPEND, resume, name, "resume (DM_DEV_SUSPEND)");
  d.path_ = wait_for_node(name, static_cast<dev_t>(create.header().dev));
  return d;
}

DmDevice::DmDevice(DmDevice &&other) noexcept
    : name_(std::move(other.name_)), path_(std::move(other.path_)) {
  other.name_.clear();
  other.path_.clear();
}

DmDevice &DmDevice::operator=(DmDevice &&other) noexcept {
  if (this != &other) {
    dm_remove_if_exists(name_);
    name_ = std::move(other.name_);
    path_ = std::move(other.path_);
    other.name_.clear();
    other.path_.clear();
  }
  return *this;
}

DmDevice::~DmDevice() {
  if (!name_.empty()) {
    dm_remove_if_exists(name_);
  }
}

void DmDevice::remove() {
  if (name_.empty()) {
    return;
  }
  const UniqueFd control = open_control();
  int err = 0;
  if (!remove_device(control.get(), name_, err) && err != ENXIO) {
    throw SysError(name_, "DM_DEV_REMOVE", err);
  }
  name_.clear();
  path_.clear();
}

void DmDevice::release() noexcept {
  name_.clear();
  path_.clear();
}

bool dm_remove_if_exists(const std::string &name) noexcept {
  if (name.empty()) {
    return false;
  }
  const int fd = ::open(kControl, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  int err = 0;
  bool removed = false;
  try {
    removed = remove_device(fd, name, err);
  } catch (...) { // NOLINT(bugprone-empty-catch): out of memory; nothing removed
  }
  ::close(fd);
  return removed;
}

} // namespace kvmr::volume
