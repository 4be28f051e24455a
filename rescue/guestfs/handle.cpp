// libguestfs wrapper (see handle.hpp): error conversion, event routing and
// the ownership of every string, list and struct libguestfs hands back.
#include "rescue/guestfs/handle.hpp"

#include <cerrno>
#include <cstdlib>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>

namespace kvmr::guestfs {
namespace {

// libguestfs returns malloc'd strings and NULL-terminated arrays of them,
// which only free() may release.
// NOLINTBEGIN(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
struct FreeDeleter {
  void operator()(char *p) const noexcept { std::free(p); }
};
using CString = std::unique_ptr<char, FreeDeleter>;

struct StringListDeleter {
  void operator()(char **list) const noexcept {
    for (char **p = list; *p != nullptr; ++p) {
      std::free(*p);
    }
    std::free(list);
  }
};
// NOLINTEND(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
using StringList = std::unique_ptr<char *, StringListDeleter>;

struct StatnsDeleter {
  void operator()(struct guestfs_statns *s) const noexcept { guestfs_free_statns(s); }
};
struct DirentListDeleter {
  void operator()(guestfs_dirent_list *l) const noexcept { guestfs_free_dirent_list(l); }
};

std::vector<std::string> to_vector(char **list) {
  std::vector<std::string> out;
  for (char **p = list; *p != nullptr; ++p) {
    out.emplace_back(*p);
  }
  return out;
}

// A hash as libguestfs returns it: key, value, key, value, ..., NULL.
std::vector<std::pair<std::string, std::string>> to_pairs(char **list) {
  std::vector<std::pair<std::string, std::string>> out;
  for (char **p = list; p[0] != nullptr && p[1] != nullptr; p += 2) {
    out.emplace_back(p[0], p[1]);
  }
  return out;
}

std::string what_of(const std::string &call, const std::string &subject,
                    const std::string &message) {
  std::string s = call;
  if (!subject.empty()) {
    s += " " + subject;
  }
  return s + ": " + message;
}

Stat to_stat(const struct guestfs_statns &s) {
  return {s.st_mode, s.st_size, s.st_blocks, s.st_uid, s.st_gid};
}

constexpr std::uint64_t kLogEvents =
    GUESTFS_EVENT_APPLIANCE | GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_WARNING | GUESTFS_EVENT_TRACE;

} // namespace

GuestfsError::GuestfsError(std::string call, std::string subject, std::string message, int err)
    : std::runtime_error(what_of(call, subject, message)), call_(std::move(call)),
      subject_(std::move(subject)), message_(std::move(message)), errno_(err) {
}

const char *to_string(LogKind kind) noexcept {
  switch (kind) {
  case LogKind::appliance: return "appliance";
  case LogKind::library: return "library";
  case LogKind::warning: return "warning";
  case LogKind::trace: return "trace";
  }
  return "?";
}

// The state behind the opaque pointer handed to libguestfs: the sink, and
// the appliance's console output, which arrives in arbitrary chunks, cut
// into lines.
struct Handle::Events {
  EventSink *sink = nullptr;
  std::string appliance_line;

  void flush_appliance() noexcept {
    if (!appliance_line.empty()) {
      emit(LogKind::appliance, appliance_line);
      appliance_line.clear();
    }
  }

  void emit(LogKind kind, std::string_view text) const noexcept {
    if (sink == nullptr) {
      return;
    }
    try {
      sink->message(kind, text);
    } catch (...) { // NOLINT(bugprone-empty-catch): must not unwind into C
    }
  }

  void on_event(std::uint64_t event, std::string_view buf, const std::uint64_t *array,
                std::size_t array_len) noexcept {
    try {
      if (event == GUESTFS_EVENT_PROGRESS) {
        if (sink != nullptr && array_len >= 4) {
          sink->progress(array[2], array[3]);
        }
        return;
      }
      if (event == GUESTFS_EVENT_APPLIANCE) {
        for (const char c : buf) {
          if (c == '\n') {
            flush_appliance();
          } else if (c != '\r') {
            appliance_line += c;
          }
        }
        return;
      }
      while (!buf.empty() && (buf.back() == '\n' || buf.back() == '\r')) {
        buf.remove_suffix(1);
      }
      const LogKind kind = event == GUESTFS_EVENT_WARNING ? LogKind::warning
                           : event == GUESTFS_EVENT_TRACE ? LogKind::trace
                                                          : LogKind::library;
      emit(kind, buf);
    } catch (...) { // NOLINT(bugprone-empty-catch): must not unwind into C
    }
  }

  static void callback(guestfs_h * /*g*/, void *opaque, std::uint64_t event, int /*event_handle*/,
                       int /*flags*/, const char *buf, std::size_t buf_len,
                       const std::uint64_t *array, std::size_t array_len) {
    auto *self = static_cast<Events *>(opaque);
    self->on_event(event, buf != nullptr ? std::string_view(buf, buf_len) : std::string_view(),
                   array, array_len);
  }
};

Handle::Handle(EventSink *sink) : events_(std::make_unique<Events>()) {
  events_->sink = sink;
  g_.reset(guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT));
  if (!g_) {
    // No handle, so no last error: libguestfs sets errno.
    const int err = errno;
    throw GuestfsError("guestfs_create_flags", "", "cannot create a libguestfs handle", err);
  }
  guestfs_set_error_handler(g_.get(), nullptr, nullptr);
  check(guestfs_set_event_callback(g_.get(), &Events::callback, kLogEvents | GUESTFS_EVENT_PROGRESS,
                                   0, events_.get()),
        "set_event_callback", "");
  check(guestfs_parse_environment(g_.get()), "parse_environment", "");
  // A /dev/kvm that exists but cannot run a VM (nested virtualisation
  // switched off) makes qemu fail at launch: use TCG, slower but working.
  if (std::getenv("LIBGUESTFS_BACKEND_SETTINGS") == nullptr && !kvm_usable()) {
    force_tcg();
  }
}

bool kvm_usable() {
  const int kvm = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) {
    return false;
  }
  constexpr unsigned long kKvmGetApiVersion = 0xAE00; // _IO(KVMIO, 0x00)
  constexpr unsigned long kKvmCreateVm = 0xAE01;      // _IO(KVMIO, 0x01)
  bool ok = ::ioctl(kvm, kKvmGetApiVersion, 0) == 12;
  if (ok) {
    const int vm = ::ioctl(kvm, kKvmCreateVm, 0);
    ok = vm >= 0;
    if (vm >= 0) {
      ::close(vm);
    }
  }
  ::close(kvm);
  return ok;
}

Handle::Handle(Handle &&other) noexcept = default;

Handle &Handle::operator=(Handle &&other) noexcept {
  if (this != &other) {
    g_.reset(); // closes while our own event state is still alive
    events_ = std::move(other.events_);
    g_ = std::move(other.g_);
    tcg_forced_ = other.tcg_forced_;
    drives_ = std::move(other.drives_);
  }
  return *this;
}

Handle::~Handle() {
  g_.reset(); // closing may still emit events
  if (events_) {
    events_->flush_appliance();
  }
}

void Handle::fail(const std::string &call, const std::string &subject) const {
  const char *msg = guestfs_last_error(g_.get());
  throw GuestfsError(call, subject, msg != nullptr ? msg : "failed (no message)",
                     guestfs_last_errno(g_.get()));
}

void Handle::check(int rc, const std::string &call, const std::string &subject) const {
  if (rc == -1) {
    fail(call, subject);
  }
}

void Handle::set_trace(bool on) {
  check(guestfs_set_trace(g_.get(), on ? 1 : 0), "set_trace", "");
}

void Handle::set_verbose(bool on) {
  check(guestfs_set_verbose(g_.get(), on ? 1 : 0), "set_verbose", "");
}

void Handle::set_memsize(int mib) {
  check(guestfs_set_memsize(g_.get(), mib), "set_memsize", std::to_string(mib));
}

void Handle::set_smp(int vcpus) {
  check(guestfs_set_smp(g_.get(), vcpus), "set_smp", std::to_string(vcpus));
}

std::string Handle::backend() const {
  const CString s(guestfs_get_backend(g_.get()));
  if (!s) {
    fail("get_backend", "");
  }
  return s.get();
}

void Handle::add_drive_ro(const std::string &path, const std::string &format) {
  struct guestfs_add_drive_opts_argv opts {};
  opts.bitmask = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK | GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK;
  opts.readonly = 1;
  opts.format = format.c_str();
  check(guestfs_add_drive_opts_argv(g_.get(), path.c_str(), &opts), "add_drive_opts", path);
  drives_.emplace_back(path, format);
}

void Handle::launch() {
  if (guestfs_launch(g_.get()) == 0) {
    return;
  }
  // KVM can be there and still fail to run this appliance (seen: qemu's
  // "-cpu host" asserting on an MSR the hypervisor refuses). Unless the
  // user chose the backend settings, try once more under TCG.
  const char *msg = guestfs_last_error(g_.get());
  const std::string first = msg != nullptr ? msg : "failed (no message)";
  if (tcg_forced_ || std::getenv("LIBGUESTFS_BACKEND_SETTINGS") != nullptr) {
    fail("launch", "");
  }
  if (events_->sink != nullptr) {
    events_->sink->message(LogKind::warning, "the appliance did not start with KVM (" + first +
                                                 "); trying again with software emulation (TCG)");
  }
  force_tcg();
  // A failed launch forgets the drives: add them again, in the same order.
  const auto drives = std::move(drives_);
  drives_.clear();
  for (const auto &[path, format] : drives) {
    add_drive_ro(path, format);
  }
  check(guestfs_launch(g_.get()), "launch", "");
}

void Handle::force_tcg() {
  std::array<char *, 2> settings{const_cast<char *>("force_tcg"), nullptr}; // NOLINT
  check(guestfs_set_backend_settings(g_.get(), settings.data()), "set_backend_settings",
        "force_tcg");
  tcg_forced_ = true;
}

void Handle::shutdown() {
  check(guestfs_shutdown(g_.get()), "shutdown", "");
}

std::vector<std::pair<std::string, std::string>> Handle::list_filesystems() {
  const StringList list(guestfs_list_filesystems(g_.get()));
  if (!list) {
    fail("list_filesystems", "");
  }
  return to_pairs(list.get());
}

std::vector<std::string> Handle::list_devices() {
  const StringList list(guestfs_list_devices(g_.get()));
  if (!list) {
    fail("list_devices", "");
  }
  return to_vector(list.get());
}

std::vector<std::string> Handle::lvs() {
  const StringList list(guestfs_lvs(g_.get()));
  if (!list) {
    fail("lvs", "");
  }
  return to_vector(list.get());
}

std::uint64_t Handle::blockdev_getsize64(const std::string &device) {
  const std::int64_t n = guestfs_blockdev_getsize64(g_.get(), device.c_str());
  if (n < 0) {
    fail("blockdev_getsize64", device);
  }
  return static_cast<std::uint64_t>(n);
}

std::vector<std::pair<std::string, std::string>> Handle::blkid(const std::string &device) {
  const StringList list(guestfs_blkid(g_.get(), device.c_str()));
  if (!list) {
    fail("blkid", device);
  }
  return to_pairs(list.get());
}

std::vector<std::string> Handle::list_partitions() {
  const StringList list(guestfs_list_partitions(g_.get()));
  if (!list) {
    fail("list_partitions", "");
  }
  return to_vector(list.get());
}

std::vector<std::string> Handle::inspect_os() {
  const StringList list(guestfs_inspect_os(g_.get()));
  if (!list) {
    fail("inspect_os", "");
  }
  return to_vector(list.get());
}

std::string Handle::inspect_get_type(const std::string &root) {
  const CString s(guestfs_inspect_get_type(g_.get(), root.c_str()));
  if (!s) {
    fail("inspect_get_type", root);
  }
  return s.get();
}

std::string Handle::inspect_get_distro(const std::string &root) {
  const CString s(guestfs_inspect_get_distro(g_.get(), root.c_str()));
  if (!s) {
    fail("inspect_get_distro", root);
  }
  return s.get();
}

std::string Handle::inspect_get_product_name(const std::string &root) {
  const CString s(guestfs_inspect_get_product_name(g_.get(), root.c_str()));
  if (!s) {
    fail("inspect_get_product_name", root);
  }
  return s.get();
}

std::string Handle::inspect_get_hostname(const std::string &root) {
  const CString s(guestfs_inspect_get_hostname(g_.get(), root.c_str()));
  if (!s) {
    fail("inspect_get_hostname", root);
  }
  return s.get();
}

int Handle::inspect_get_major_version(const std::string &root) {
  const int v = guestfs_inspect_get_major_version(g_.get(), root.c_str());
  check(v, "inspect_get_major_version", root);
  return v;
}

int Handle::inspect_get_minor_version(const std::string &root) {
  const int v = guestfs_inspect_get_minor_version(g_.get(), root.c_str());
  check(v, "inspect_get_minor_version", root);
  return v;
}

std::vector<std::string> Handle::pvs() {
  const StringList list(guestfs_pvs(g_.get()));
  if (!list) {
    fail("pvs", "");
  }
  return to_vector(list.get());
}

std::string Handle::pvuuid(const std::string &device) {
  const CString s(guestfs_pvuuid(g_.get(), device.c_str()));
  if (!s) {
    fail("pvuuid", device);
  }
  return s.get();
}

std::vector<std::string> Handle::vgpvuuids(const std::string &vg) {
  const StringList list(guestfs_vgpvuuids(g_.get(), vg.c_str()));
  if (!list) {
    fail("vgpvuuids", vg);
  }
  return to_vector(list.get());
}

void Handle::lvm_set_filter(const std::vector<std::string> &devices) {
  std::vector<char *> argv;
  argv.reserve(devices.size() + 1);
  for (const auto &d : devices) {
    argv.push_back(const_cast<char *>(d.c_str())); // NOLINT: libguestfs' char *const *
  }
  argv.push_back(nullptr);
  std::string subject;
  for (const auto &d : devices) {
    subject += (subject.empty() ? "" : " ") + d;
  }
  check(guestfs_lvm_set_filter(g_.get(), argv.data()), "lvm_set_filter", subject);
}

std::string Handle::vfs_type(const std::string &device) {
  const CString s(guestfs_vfs_type(g_.get(), device.c_str()));
  if (!s) {
    fail("vfs_type", device);
  }
  return s.get();
}

std::string Handle::vfs_uuid(const std::string &device) {
  const CString s(guestfs_vfs_uuid(g_.get(), device.c_str()));
  if (!s) {
    fail("vfs_uuid", device);
  }
  return s.get();
}

std::string Handle::vfs_label(const std::string &device) {
  const CString s(guestfs_vfs_label(g_.get(), device.c_str()));
  if (!s) {
    fail("vfs_label", device);
  }
  return s.get();
}

void Handle::mount_options(const std::string &options, const std::string &device,
                           const std::string &mountpoint) {
  check(guestfs_mount_options(g_.get(), options.c_str(), device.c_str(), mountpoint.c_str()),
        "mount_options", device + " on " + mountpoint + " (" + options + ")");
}

void Handle::umount_all() {
  check(guestfs_umount_all(g_.get()), "umount_all", "");
}

std::optional<Stat> Handle::lstatns(const std::string &path) {
  const std::unique_ptr<struct guestfs_statns, StatnsDeleter> s(
      guestfs_lstatns(g_.get(), path.c_str()));
  if (!s) {
    const int err = guestfs_last_errno(g_.get());
    if (err == ENOENT || err == ENOTDIR) {
      return std::nullopt;
    }
    fail("lstatns", path);
  }
  return to_stat(*s);
}

std::optional<Stat> Handle::statns(const std::string &path) {
  const std::unique_ptr<struct guestfs_statns, StatnsDeleter> s(
      guestfs_statns(g_.get(), path.c_str()));
  if (!s) {
    const int err = guestfs_last_errno(g_.get());
    if (err == ENOENT || err == ENOTDIR) {
      return std::nullopt;
    }
    fail("statns", path);
  }
  return to_stat(*s);
}

std::string Handle::read_file(const std::string &path) {
  std::size_t size = 0;
  const CString data(guestfs_read_file(g_.get(), path.c_str(), &size));
  if (!data) {
    fail("read_file", path);
  }
  return {data.get(), size};
}

std::string Handle::pread(const std::string &path, std::uint64_t count, std::uint64_t offset) {
  std::size_t size = 0;
  const CString data(guestfs_pread(g_.get(), path.c_str(), static_cast<int>(count),
                                   static_cast<std::int64_t>(offset), &size));
  if (!data) {
    fail("pread", path);
  }
  return {data.get(), size};
}

std::vector<Dirent> Handle::readdir(const std::string &dir) {
  const std::unique_ptr<guestfs_dirent_list, DirentListDeleter> list(
      guestfs_readdir(g_.get(), dir.c_str()));
  if (!list) {
    fail("readdir", dir);
  }
  std::vector<Dirent> out;
  out.reserve(list->len);
  for (std::uint32_t i = 0; i < list->len; ++i) {
    out.push_back({list->val[i].name, list->val[i].ftyp});
  }
  return out;
}

std::string Handle::readlink(const std::string &path) {
  const CString s(guestfs_readlink(g_.get(), path.c_str()));
  if (!s) {
    fail("readlink", path);
  }
  return s.get();
}

std::string Handle::checksum(const std::string &type, const std::string &path) {
  const CString s(guestfs_checksum(g_.get(), type.c_str(), path.c_str()));
  if (!s) {
    fail("checksum " + type, path);
  }
  return s.get();
}

} // namespace kvmr::guestfs
