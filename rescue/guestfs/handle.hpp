// The one wrapper around libguestfs: an owning, move-only handle whose calls
// throw GuestfsError instead of printing (NULL error handler), and whose
// log and progress messages leave through libguestfs events to a small sink
// interface. Every drive it adds is read-only; there is no call that adds
// a writable one. Only the libguestfs calls kvm-rescue uses are wrapped.
#pragma once

#include <guestfs.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvmr::guestfs {

// A libguestfs call failed. what() reads "<call> <subject>: <message>", the
// message being guestfs_last_error; error_code() is guestfs_last_errno (0
// when libguestfs did not know one).
class GuestfsError : public std::runtime_error {
public:
  GuestfsError(std::string call, std::string subject, std::string message, int err);

  [[nodiscard]] const std::string &call() const noexcept { return call_; }
  [[nodiscard]] const std::string &subject() const noexcept { return subject_; }
  [[nodiscard]] const std::string &message() const noexcept { return message_; }
  [[nodiscard]] int error_code() const noexcept { return errno_; }

private:
  std::string call_;
  std::string subject_;
  std::string message_;
  int errno_;
};

enum class LogKind {
  appliance, // the appliance's console (kernel, daemon), one line at a time
  library,   // libguestfs' own debug messages (verbose mode)
  warning,   // libguestfs warnings
  trace,     // call tracing (trace mode)
};

const char *to_string(LogKind kind) noexcept;

// Where the handle's messages go. Called synchronously from inside
// libguestfs calls, on the calling thread; must not throw (an exception is
// swallowed). Without a sink the messages are dropped, never printed.
class EventSink {
public:
  EventSink() = default;
  EventSink(const EventSink &) = delete;
  EventSink &operator=(const EventSink &) = delete;
  EventSink(EventSink &&) = delete;
  EventSink &operator=(EventSink &&) = delete;
  virtual ~EventSink() = default;

  virtual void message(LogKind kind, std::string_view text) = 0;
  // A long call's progress (checksum, read_file): DONE of TOTAL units.
  virtual void progress(std::uint64_t done, std::uint64_t total) = 0;
};

struct HandleCloser {
  void operator()(guestfs_h *g) const noexcept { guestfs_close(g); }
};
using HandlePtr = std::unique_ptr<guestfs_h, HandleCloser>;

// lstatns/statns, reduced to what kvm-rescue reads.
struct Stat {
  std::int64_t mode = 0; // st_mode: type and permission bits
  std::int64_t size = 0;
  std::int64_t blocks = 0; // 512-byte blocks
  std::int64_t uid = 0;
  std::int64_t gid = 0;
};

struct Dirent {
  std::string name;
  char ftyp = '?'; // readdir's type letter: r d l b c f s u ?
};

// True when /dev/kvm can create a VM; otherwise a Handle asks libguestfs
// for TCG (unless LIBGUESTFS_BACKEND_SETTINGS says otherwise).
bool kvm_usable();

class Handle {
public:
  // guestfs_create_flags(NO_ENVIRONMENT), NULL error handler, events routed
  // to SINK (which must outlive the handle; nullptr drops them), then the
  // LIBGUESTFS_* environment parsed, so its errors arrive as exceptions too.
  explicit Handle(EventSink *sink = nullptr);
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  Handle(Handle &&other) noexcept;
  Handle &operator=(Handle &&other) noexcept;
  // Closes the handle (and kills the appliance); never throws.
  ~Handle();

  [[nodiscard]] guestfs_h *get() const noexcept { return g_.get(); }

  // Throws GuestfsError for CALL on SUBJECT with libguestfs' last error.
  [[noreturn]] void fail(const std::string &call, const std::string &subject) const;
  // RC == -1 (libguestfs' failure value for int calls) -> fail().
  void check(int rc, const std::string &call, const std::string &subject) const;

  // --- before launch ---------------------------------------------------
  void set_trace(bool on);
  void set_verbose(bool on);
  void set_memsize(int mib);
  void set_smp(int vcpus);
  [[nodiscard]] std::string backend() const;
  // add_drive_opts with readonly=1 and FORMAT given explicitly (never
  // probed), so a raw image holding qcow2-looking bytes stays raw.
  void add_drive_ro(const std::string &path, const std::string &format = "raw");
  // On failure without user-chosen backend settings, retries once under
  // TCG (a sink message says so).
  void launch();
  // Shuts the appliance down and reports a failure (the destructor cannot).
  void shutdown();

  // --- after launch ----------------------------------------------------
  // list_filesystems: (device, type) pairs, LVs included. Slow under TCG
  // (tens of seconds); GuestfsTree probes with lvs and blkid instead.
  std::vector<std::pair<std::string, std::string>> list_filesystems();
  std::vector<std::string> list_devices();
  std::vector<std::string> list_partitions();
  // LVs as /dev/VG/LV (the appliance activated LVM on its read-only drives).
  std::vector<std::string> lvs();
  std::uint64_t blockdev_getsize64(const std::string &device);
  // blkid's tags of DEVICE (TYPE, UUID, LABEL, PARTUUID, ...), one probe.
  std::vector<std::pair<std::string, std::string>> blkid(const std::string &device);
  std::vector<std::string> inspect_os();
  // inspect_get_*: what inspect_os found about ROOT, one of its results.
  // Strings are libguestfs' words ("linux", "centos", "unknown").
  std::string inspect_get_type(const std::string &root);
  std::string inspect_get_distro(const std::string &root);
  std::string inspect_get_product_name(const std::string &root);
  std::string inspect_get_hostname(const std::string &root);
  int inspect_get_major_version(const std::string &root);
  int inspect_get_minor_version(const std::string &root);
  // The LVM physical volumes the appliance sees (/dev/sda2), and their
  // UUIDs; the PV UUIDs of volume group VG.
  std::vector<std::string> pvs();
  std::string pvuuid(const std::string &device);
  std::vector<std::string> vgpvuuids(const std::string &vg);
  // LVM sees only DEVICES (whole disks with their partitions, or single
  // partitions) from now on: every VG deactivated, rescanned, reactivated.
  void lvm_set_filter(const std::vector<std::string> &devices);
  // blkid's TYPE of DEVICE ("ext4", "LVM2_member"; "" when none).
  std::string vfs_type(const std::string &device);
  std::string vfs_uuid(const std::string &device);
  std::string vfs_label(const std::string &device);
  void mount_options(const std::string &options, const std::string &device,
                     const std::string &mountpoint);
  void umount_all();
  // nullopt when the path (or a directory on the way) does not exist.
  std::optional<Stat> lstatns(const std::string &path);
  std::optional<Stat> statns(const std::string &path);
  std::string read_file(const std::string &path);
  // guestfs_pread, which returns at most 2 MiB per call.
  std::string pread(const std::string &path, std::uint64_t count, std::uint64_t offset);
  std::vector<Dirent> readdir(const std::string &dir);
  std::string readlink(const std::string &path);
  std::string checksum(const std::string &type, const std::string &path);

private:
  struct Events;
  HandlePtr g_;
  std::unique_ptr<Events> events_; // stable address handed to libguestfs
  bool tcg_forced_ = false;
  std::vector<std::pair<std::string, std::string>> drives_; // path, format: for a relaunch

  void force_tcg();
};

} // namespace kvmr::guestfs
