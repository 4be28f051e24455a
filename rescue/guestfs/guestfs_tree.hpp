// SourceTree through the libguestfs appliance: the dead host's disks (image
// files or block devices) are added read-only and raw, the appliance
// activates LVM inside itself, and the old host's root is mounted at "/"
// with the filesystems its /etc/fstab names at their mount points. No root
// privileges and no kernel support (device-mapper, vfat) are needed on the
// rescue side; the price is a 15-45 s launch under TCG.
#pragma once

#include "rescue/guestfs/handle.hpp"
#include "rescue/guestfs/mount_plan.hpp"
#include "rescue/io/source_tree.hpp"

#include <string>
#include <vector>

namespace kvmr::guestfs {

enum class MountState {
  mounted,    // in the tree
  skipped,    // not meant to be mounted (swap, noauto, network, bind)
  unresolved, // the spec names no filesystem found on the source disks
  failed,     // found, but the mount failed (reason says why)
};

const char *to_string(MountState state) noexcept;

// One line of the old host's /etc/fstab (and the root itself) and what
// became of it.
struct MountRecord {
  std::string spec;       // as fstab names it; for the root, the device
  std::string mountpoint; // "/", "/boot", "/var/lib/libvirt/images"
  std::string fstype;     // fstab's type, or the detected one for the root
  std::string device;     // the appliance's device; empty when unresolved
  std::string options;    // options it is mounted with ("ro,norecovery")
  MountState state = MountState::failed;
  std::string reason; // why not mounted, or a caveat
};

struct GuestfsTreeOptions {
  EventSink *sink = nullptr; // must outlive the tree
  // Finding the root: mount each filesystem and look for /etc/fstab and
  // os-release/centos-release; ask inspect_os (slow: ~1 min under TCG)
  // only when that finds nothing, or first with inspect_first.
  bool inspect = true;
  bool inspect_first = false;
  bool mount_fstab = true; // mount what the root's /etc/fstab names
  int memsize_mib = 0;     // 0: libguestfs' default
  int smp = 0;             // 0: libguestfs' default
};

class GuestfsTree final : public io::SourceTree {
public:
  // Adds every one of SOURCES (image files or block devices) read-only as
  // raw, launches the appliance, finds the old host's root and mounts it
  // and its fstab entries read-only. Throws GuestfsError when libguestfs
  // fails (call() == "launch" when no appliance can start here) and
  // InputError when no filesystem looks like the old host's root.
  explicit GuestfsTree(std::vector<std::string> sources, const GuestfsTreeOptions &options = {});

  std::optional<io::FileStat> lstat(const std::string &path) override;
  std::string read_file(const std::string &path, std::uint64_t max_bytes) override;
  std::string read_range(const std::string &path, std::uint64_t offset,
                         std::uint64_t length) override;
  std::vector<io::DirEntry> list(const std::string &dir) override;
  std::string readlink(const std::string &path) override;
  std::string sha256(const std::string &path) override;
  [[nodiscard]] std::string describe() const override;

  [[nodiscard]] const std::vector<std::string> &sources() const { return sources_; }
  // Every filesystem the appliance found, LVs included.
  [[nodiscard]] const std::vector<Filesystem> &filesystems() const { return filesystems_; }
  // The root first, then one record per fstab line, in file order.
  [[nodiscard]] const std::vector<MountRecord> &mounts() const { return mounts_; }
  [[nodiscard]] const std::string &root_device() const { return root_device_; }
  // Operating systems inspect_os reported (empty when it was not asked,
  // or failed: inspection_error() then says why).
  [[nodiscard]] const std::vector<std::string> &inspected_roots() const { return inspected_; }
  [[nodiscard]] const std::string &inspection_error() const { return inspection_error_; }

  // The handle, for guest inspection and other calls on the same appliance.
  Handle &handle() { return g_; }

  // Unmounts and shuts the appliance down, reporting a failure (the
  // destructor only closes). The tree is unusable afterwards.
  void close();

private:
  // The size of PATH; throws unless it is a regular file.
  std::uint64_t regular_size(const std::string &path);
  void scan_filesystems();
  void find_and_mount_root();
  void inspect();
  void mount_fstab();
  // Mounts DEVICE of TYPE at MOUNTPOINT with the first option string that
  // works; returns it, or "" with the last error in ERROR.
  std::string try_mount(const std::string &device, const std::string &type,
                        const std::string &mountpoint, std::string &error);
  [[nodiscard]] bool looks_like_root();
  [[nodiscard]] const Filesystem *filesystem(const std::string &device) const;

  std::vector<std::string> sources_;
  GuestfsTreeOptions options_;
  Handle g_;
  std::vector<Filesystem> filesystems_;
  std::vector<MountRecord> mounts_;
  std::string backend_;
  std::string root_device_;
  std::vector<std::string> inspected_;
  std::string inspection_error_;
  bool closed_ = false;
};

} // namespace kvmr::guestfs
