// The old host's read-only tree through whichever path can serve: kernel
// mounts of read-only loop devices (volume::SourceHost, fast, needs root)
// or the libguestfs appliance (guestfs::GuestfsTree, slow, no root, no
// device-mapper or filesystem driver needed on the rescue side). Callers
// (scan, the wizard) read only through tree() and never care which.
#pragma once

#include "rescue/guestfs/guestfs_tree.hpp"
#include "rescue/volume/source_host.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::access {

enum class Backend { automatic, kernel, guestfs };

const char *to_string(Backend b) noexcept;
// "auto", "kernel", "guestfs"; throws InputError otherwise.
Backend parse_backend(std::string_view name);

// One mount of the assembled tree, the same for both paths.
struct MountView {
  std::string mountpoint; // "/", "/boot", "/var/lib/libvirt/images"
  std::string spec;       // as /etc/fstab names it
  std::string device;     // "centos/root", "/dev/sda3"; empty when unresolved
  std::string fstype;
  std::string state; // "mounted", "skipped", "unresolved", "failed"
  std::string reason;
};

// An LV of the old host, whichever path mapped it.
struct LvView {
  std::string name; // "centos/db01"
  std::uint64_t size = 0;
  bool readable =
      false;          // every byte can be read (through a loop, its segment map or the appliance)
  std::string access; // "loop_at_offset", "segment_map", "appliance", "unavailable"
  std::vector<std::string> problems;
};

struct AccessOptions {
  Backend backend = Backend::automatic;
  volume::OpenOptions kernel;
  guestfs::EventSink *sink = nullptr; // libguestfs messages; must outlive the host
};

class OldHost {
public:
  // Opens SOURCES with the chosen backend. Automatic: the kernel path when
  // running as root, libguestfs when not, or when the kernel path finds no
  // root or cannot mount an fstab entry (other than /boot and below) for
  // want of device-mapper or a filesystem driver (notes() says which and
  // why). Throws InputError or
  // GuestfsError with every path's reason when none can serve.
  static std::unique_ptr<OldHost> open(const std::vector<std::string> &sources,
                                       const AccessOptions &opts);

  OldHost(const OldHost &) = delete;
  OldHost &operator=(const OldHost &) = delete;
  OldHost(OldHost &&) = delete;
  OldHost &operator=(OldHost &&) = delete;
  ~OldHost();

  [[nodiscard]] io::SourceTree &tree();
  [[nodiscard]] Backend backend() const { return backend_; }
  [[nodiscard]] const std::vector<MountView> &mounts() const { return mounts_; }
  // The device of the old host's root filesystem ("centos/root"); "?"
  // when nothing is mounted at /.
  [[nodiscard]] std::string root_device() const;
  // Why a backend was chosen or left, in plain words.
  [[nodiscard]] const std::vector<std::string> &notes() const { return notes_; }
  // Every LV of the old host's volume groups.
  [[nodiscard]] std::vector<LvView> lvs();
  // Where OLD_PATH (an old-host path) is on this machine: inside the
  // kernel path's mounted tree; "" on libguestfs (the files are inside the
  // appliance).
  [[nodiscard]] std::string local_path(const std::string &old_path) const;
  // The kernel path's full report (volumes, LVs); nullptr on libguestfs.
  [[nodiscard]] const volume::HostReport *kernel_report() const;
  // The appliance, for guest inspection; nullptr on the kernel path.
  [[nodiscard]] guestfs::GuestfsTree *appliance() { return guestfs_.get(); }

private:
  OldHost() = default;
  Backend backend_ = Backend::kernel;
  std::unique_ptr<volume::SourceHost> kernel_;
  std::unique_ptr<guestfs::GuestfsTree> guestfs_;
  std::vector<MountView> mounts_;
  std::vector<std::string> notes_;
};

// True when a kernel-path fstab result failed for want of something the
// rescue kernel lacks (device-mapper, a filesystem driver), which the
// libguestfs appliance brings along.
bool kernel_lacks_support(const volume::FstabResult &r);

} // namespace kvmr::access
