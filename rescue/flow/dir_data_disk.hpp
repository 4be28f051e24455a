// The data disk of a directory target: the filesystem mounted at (or
// holding) the directory on this machine, its UUID, the whole disk under
// it and that disk's /dev/disk/by-id name, so `kickstart --plan` can name
// the disk the installer must keep and mount. A filesystem on an LVM
// logical volume or an md array names the VG/LV or array and every disk
// under it (the installer keeps them all and uses the existing volume).
// Never guesses: a directory on the root filesystem, on a device without a
// by-id name or on another stacked device (dm-crypt, multipath, ...) is an
// error that says what was found.
#pragma once

#include "rescue/target/mountinfo.hpp"

#include <functional>
#include <string>
#include <vector>

namespace kvmr::flow {

// What the system knows about block devices, as functions so tests can
// fabricate it (system_block_facts() reads sysfs, /dev/disk/by-id, libblkid).
struct BlockFacts {
  // Kernel name ("sdb1") of the device with major:minor; "" when unknown.
  std::function<std::string(unsigned, unsigned)> name_of;
  // Kernel name of a /dev path (a btrfs mount's numbers are not its
  // device's); "" when unknown.
  std::function<std::string(const std::string &)> name_of_path;
  // Kernel name of the device holding the filesystem with UUID
  // (/dev/disk/by-uuid); "" when none is attached.
  std::function<std::string(const std::string &)> name_of_uuid;
  // The whole disk of partition NAME; "" when NAME is a whole disk.
  std::function<std::string(const std::string &)> parent_of;
  // The partition number of partition NAME (sysfs "partition"); 0: none.
  std::function<unsigned(const std::string &)> partition_number;
  // The /dev/disk/by-id links to /dev/NAME, in any order.
  std::function<std::vector<std::string>(const std::string &)> by_id_of;
  // True when NAME is built on other devices (device-mapper, md: slaves).
  std::function<bool(const std::string &)> is_stacked;
  // The devices NAME is built on (sysfs slaves/), kernel names.
  std::function<std::vector<std::string>(const std::string &)> slaves_of;
  // A device-mapper device's uuid and name (sysfs dm/uuid, dm/name); ""
  // when NAME is not device-mapper.
  std::function<std::string(const std::string &)> dm_uuid_of;
  std::function<std::string(const std::string &)> dm_name_of;
  // An md array's name as /dev/md/NAME gives it, else its kernel name
  // ("md127"); "" when NAME is not an md array (no sysfs md/).
  std::function<std::string(const std::string &)> md_array_of;
  // UUID of the filesystem on /dev/NAME; "" when unreadable.
  std::function<std::string(const std::string &)> fs_uuid_of;
};

enum class DataStack { none, lvm, md };

struct DirDataDisk {
  std::string mount_point; // the filesystem's mount point holding the directory
  std::string device;      // "/dev/sdb1"
  std::string fs_type;
  std::string fs_uuid;
  std::string disk; // "/dev/disk/by-id/ata-X" (the first, sorted); lvm/md: the first member disk
  // "/dev/disk/by-id/ata-X-part1"; the disk itself when unpartitioned; "" for lvm/md
  std::string partition;
  DataStack stack = DataStack::none;
  std::string vg; // lvm: VG and LV names (unescaped)
  std::string lv;
  std::string md; // md: the array's name
  // lvm/md: the by-id name of every disk under the volume, sorted
  std::vector<std::string> member_disks;
};

// An LVM device-mapper name split into VG, LV and layer ("vg--a-lv--b"
// -> {"vg-a", "lv-b", ""}; "vg-pool-tpool" -> {"vg", "pool", "tpool"}):
// LVM doubles each '-' inside a name. Throws InputError when NAME has no
// single '-' between two names.
struct LvmName {
  std::string vg;
  std::string lv;
  std::string layer;
};
LvmName split_lvm_dm_name(const std::string &name);

// The mount holding canonical directory DIR: the longest mount point that
// is DIR or one of its parents (the last such line, the one on top);
// nullptr when none.
const target::MountEntry *mount_holding(const std::vector<target::MountEntry> &mounts,
                                        const std::string &dir);

// The data disk of canonical directory DIR (the plan's target TARGET, as
// the user named it, for messages). PLANNED_UUID: the filesystem UUID the
// plan recorded for the directory ("" none): another UUID is refused; when
// DIR is on the root filesystem or on none (not mounted any more), the
// attached filesystem with that UUID is the data.
// Throws InputError naming DIR and the filesystem found (device, type, UUID).
DirDataDisk dir_data_disk(const std::string &target, const std::string &dir,
                          const std::vector<target::MountEntry> &mounts, const BlockFacts &facts,
                          const std::string &planned_uuid);

// sysfs, /dev/disk/by-id and libblkid of this machine.
BlockFacts system_block_facts();

// dir_data_disk for TARGET on this machine (/proc/self/mountinfo); a
// TARGET that does not exist here is found by PLANNED_UUID only.
DirDataDisk dir_data_disk_here(const std::string &target, const std::string &planned_uuid);

} // namespace kvmr::flow
