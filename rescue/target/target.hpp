// The rescue target: the new disk that receives the VMs. Either an
// existing directory that is the mount point of the new data filesystem,
// or a block device / image file that is prepared here: a GPT (libfdisk)
// with a data partition and a small partition for the kickstart labelled
// OEMDRV, an XFS (CentOS 7 compatible options when asked) or ext4 data
// filesystem with a label, mounted privately for the copy.
//
// Safety: preparing needs the caller to repeat the path (--confirm-wipe);
// a disk that carries any source filesystem/PV UUID, partition UUID or
// table id, or that is mounted or in use (holders, a loop device over it),
// or that is smaller than needed is refused with the reason.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/util/command.hpp"
#include "rescue/util/labels.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::target {

enum class Kind { directory, device, image };

struct TargetInfo {
  Kind kind = Kind::directory;
  std::string path;
  // directory: free bytes (statvfs f_bavail * f_frsize)
  // device/image: the size the data partition will have after preparation
  std::uint64_t capacity = 0;
  std::string fs_uuid;             // directory: UUID of the filesystem it is on
  std::string fs_type;             // directory: its filesystem type
  std::optional<disk::Disk> disk;  // device/image: as probed
  std::vector<std::string> in_use; // device/image: mounts, holders, loop devices over it
  // Identity, so refusals can tell "is a source" without trusting names:
  // directory: st_dev of its filesystem; device: st_rdev; image: st_dev of the file.
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;    // image: inode number (0 otherwise)
  std::string fs_source;    // directory: the mount's source device (mountinfo)
  bool read_only = false;   // directory: mounted read-only
  std::string partition_of; // device: the whole disk when PATH is a partition
  std::string loop_backing; // device: a loop device's backing file
};

// Looks at PATH without changing it. Throws InputError naming PATH when it
// is neither a directory that is a mount point nor a block device nor a
// regular file.
TargetInfo inspect_target(const std::string &path);

// UUID of the filesystem on block device DEV, read with libblkid; empty
// when there is none or DEV cannot be read (tmpfs, no permission).
std::string fs_uuid_of(const std::string &dev);

struct Layout {
  std::string fs_type = "xfs"; // "xfs" or "ext4"
  bool el7_compatible = true;  // mkfs.xfs -m crc=1,finobt=0,... (mkfs.hpp)
  std::string label{kDataLabel};
  bool oemdrv = true;
  std::uint64_t oemdrv_size = std::uint64_t{64} << 20U; // vfat, label OEMDRV
};

// Bytes the data partition gets on a disk of DISK_SIZE bytes with logical
// sectors of SECTOR_SIZE under LAYOUT (GPT at both ends, 1 MiB alignment,
// OEMDRV at the end). 0 when the disk is too small for the layout.
std::uint64_t data_capacity(std::uint64_t disk_size, unsigned sector_size, const Layout &layout);

// Every reason TARGET must not be used (empty: fine). SOURCES: the probed
// source disks. NEEDED: bytes the plan will write.
std::vector<std::string> refusals(const TargetInfo &target, const std::vector<disk::Disk> &sources,
                                  std::uint64_t needed, const Layout &layout);

struct PreparedTarget {
  std::string path;
  std::uint64_t data_offset = 0; // bytes
  std::uint64_t data_size = 0;
  std::string data_partuuid;
  std::string data_fs_uuid;
  std::uint64_t oemdrv_offset = 0; // 0 when no OEMDRV partition
  std::uint64_t oemdrv_size = 0;
  std::string oemdrv_partuuid;
  std::string oemdrv_fs_uuid;
};

// Writes the GPT and makes the filesystems. CONFIRM must equal PATH
// (the --confirm-wipe value), else InputError. Refusals are checked again
// here. Runs mkfs through RUNNER (null: the system's).
PreparedTarget prepare_target(const std::string &path, const std::string &confirm,
                              const std::vector<disk::Disk> &sources, std::uint64_t needed,
                              const Layout &layout, CommandRunner *runner = nullptr);

// The data filesystem mounted read-write in a private directory under
// RUN_DIR (recorded in the registry, so a killed run is cleaned up next
// time), or an existing directory target used as it is. Unmounts and
// detaches on destruction, also during an exception.
class TargetMount {
public:
  static std::unique_ptr<TargetMount> mount_prepared(const PreparedTarget &t,
                                                     const std::string &run_dir);
  static std::unique_ptr<TargetMount> use_directory(const std::string &dir);
  TargetMount(const TargetMount &) = delete;
  TargetMount &operator=(const TargetMount &) = delete;
  TargetMount(TargetMount &&) = delete;
  TargetMount &operator=(TargetMount &&) = delete;
  ~TargetMount();
  [[nodiscard]] const std::string &root() const { return root_; }

private:
  TargetMount() = default;
  std::string root_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes FILE_NAME with CONTENT into the vfat OEMDRV partition of a
// prepared device or image (mtools, no mount needed), atomically enough
// that a half-written file never carries the name.
void write_oemdrv_file(const std::string &path, std::uint64_t oemdrv_offset,
                       const std::string &file_name, const std::string &content,
                       CommandRunner *runner = nullptr);

} // namespace kvmr::target
