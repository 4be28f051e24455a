// The dead host opened strictly read-only through the kernel: source block
// devices flagged read-only, every partition and LV found (LVM2 metadata
// read by the project, nothing activated), the root filesystem found by its
// /etc/fstab and os-release, and what that fstab names mounted at the right
// places in a private tree. Everything attached is recorded in the registry
// and released by the destructor, or kept as a mount-ro session.
#pragma once

#include "rescue/volume/blkro.hpp"
#include "rescue/volume/device_mapper.hpp"
#include "rescue/volume/fs_check.hpp"
#include "rescue/volume/loop.hpp"
#include "rescue/volume/mount.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "rescue/volume/registry.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::volume {

// A filesystem-bearing volume of the dead host: a partition, a whole disk
// or an LV.
struct Volume {
  std::string name; // "dead.img p3", "centos/root"
  std::string kind; // "partition", "disk", "lv"
  std::string fstype;
  std::string uuid;
  std::string label;
  std::string partuuid;
  std::string backing;      // image file or device holding its bytes
  std::uint64_t offset = 0; // bytes on BACKING (first run for a multi-run LV)
  std::uint64_t size = 0;   // bytes of the whole volume
  bool contiguous = true;   // false: an LV in several pieces (mounted through device-mapper)
  std::string mountpoint;   // where it is mounted in the tree (old host's path)
  std::string problem;      // why it is not mounted, when it should be
  // With OpenOptions::check: the no-modify check of the read-only device it
  // is mounted from. Unset when it was not asked for or the volume is not
  // mounted.
  std::optional<FsCheck> check;
};

struct FstabResult {
  std::string spec;
  std::string mountpoint;
  std::string fstype;
  std::string volume; // Volume::name it resolved to, empty if none
  std::string status; // "mounted", "unresolved", "failed", "skipped"
  std::string detail;
  // Failed for want of something this kernel does not have (a filesystem
  // driver, device-mapper), not because of what is on the disk.
  bool kernel_lacks = false;
};

// Every LV found, filesystem or not (a VM's raw disk is an LV too).
struct LvInfo {
  std::string name; // "centos/db01"
  std::uint64_t size = 0;
  std::string access; // "loop_at_offset", "device_mapper", "unavailable"
  std::vector<std::string> problems;
};

struct HostReport {
  std::string tree;        // top directory of the read-only tree
  std::string root_volume; // Volume::name of /
  std::vector<Volume> volumes;
  std::vector<LvInfo> lvs;
  std::vector<FstabResult> fstab;
  std::vector<std::string> problems; // partial results: what could not be read
  std::vector<std::string> notes;    // read-only flags set, stale runs cleaned
};

struct OpenOptions {
  std::string run_dir = kRunDir;
  // Where to assemble the tree: an existing empty directory (mount-ro).
  // Empty: a private directory under run_dir, removed at the end.
  std::string tree_dir;
  // Run the no-modify check (xfs_repair -n, e2fsck -n) on every mounted
  // volume's read-only device and put its verdict in Volume::check.
  bool check = false;
  // Runs the checkers; null: a SystemCommandRunner. Not owned.
  CommandRunner *check_runner = nullptr;
};

class SourceHost {
public:
  // Opens SOURCES (devices or image files) and assembles the tree. Throws
  // InputError when no root filesystem is found (the report so far is in
  // the message); nothing stays attached then.
  static std::unique_ptr<SourceHost> open(const std::vector<std::string> &sources,
                                          const OpenOptions &opts = {});

  SourceHost(const SourceHost &) = delete;
  SourceHost &operator=(const SourceHost &) = delete;
  SourceHost(SourceHost &&) = delete;
  SourceHost &operator=(SourceHost &&) = delete;
  ~SourceHost();

  [[nodiscard]] const HostReport &report() const { return report_; }
  [[nodiscard]] MountedTree &tree() { return *tree_; }
  // Leaves everything mounted and recorded as a session for `umount DIR`.
  void keep_mounted();

private:
  explicit SourceHost(const OpenOptions &opts);
  struct Builder;

  // Members are released in reverse order: mounts, device-mapper devices,
  // loops, the tree's directory, read-only flags, the registry record last.
  Registry registry_;
  std::vector<ReadOnlyGuard> read_only_;
  std::unique_ptr<TempDir> top_; // the tree's directory when it is a private one
  std::string tree_path_;
  std::vector<LoopDevice> loops_;
  std::vector<DmDevice> dms_;
  std::vector<Mount> mounts_;
  std::unique_ptr<MountedTree> tree_;
  HostReport report_;
};

} // namespace kvmr::volume
