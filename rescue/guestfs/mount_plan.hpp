// Pure decisions behind GuestfsTree's mounts, kept apart from libguestfs so
// they can be tested without an appliance: which appliance device an fstab
// spec names, in which order fstab entries are mounted, which read-only
// options are tried for a filesystem type, the appliance's device names
// and libguestfs' file types.
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/volume/fstab.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::guestfs {

// A filesystem as the appliance's blkid sees it. LVs are named /dev/VG/LV.
struct Filesystem {
  std::string device; // "/dev/sda3", "/dev/centos/root"
  std::string type;   // "xfs", "ext4", "vfat", "swap", "unknown"
  std::string uuid;   // as blkid prints it; empty when there is none
  std::string label;
  std::string partuuid; // blkid's PARTUUID (lower case): GPT GUID or MBR "id-NN"
};

struct SpecResolution {
  std::string device; // empty: not resolved
  std::string reason; // why not, or a caveat when resolved
};

// Finds the filesystem that an fstab SPEC (UUID=, LABEL=, PARTUUID=,
// /dev/mapper/VG-LV, /dev/VG/LV, /dev/disk/by-*, a kernel device name)
// names among FILESYSTEMS. UUIDs compare case-insensitively (vfat's are
// upper case in blkid, often lower case in fstab).
SpecResolution resolve_spec(const std::string &spec, const std::vector<Filesystem> &filesystems);

// Indices of ENTRIES in the order to mount them: parents before children
// ("/var" before "/var/lib/libvirt/images"), otherwise in file order.
std::vector<std::size_t> mount_order(const std::vector<volume::FstabEntry> &entries);

// Mount option strings to try, in order, for a filesystem of TYPE: plain
// "ro" first (with read-only drives libguestfs writes to a throw-away
// overlay, so XFS or ext4 may replay a dirty journal there, which gives
// the more consistent view), then the no-replay variant.
std::vector<std::string> ro_mount_attempts(const std::string &type);

// st_mode -> FileType.
io::FileType file_type_of_mode(std::int64_t mode);
// readdir's ftyp letter -> FileType.
io::FileType file_type_of_ftyp(char ftyp);

// The appliance names disks /dev/sdX, partitions /dev/sdXN and LVs
// /dev/VG/LV. True when PART is a partition of DISK ("/dev/sda3" of
// "/dev/sda", not of "/dev/sd").
bool is_partition_of(const std::string &part, const std::string &disk);
// True for an LV's name (/dev/VG/LV), false for disks and partitions.
bool is_lv_device(const std::string &device);

// Number of path components ("/" 0, "/var" 1, "/var/lib/libvirt" 3).
std::size_t path_depth(const std::string &path);

} // namespace kvmr::guestfs
