// The disks and directories a user may pick as the copy's target, for the
// wizard's Target screen: every disk with why it is refused, if it is.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/target/mountinfo.hpp"
#include "rescue/target/target.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::flow {

struct TargetCandidate {
  std::string path;           // /dev/sdc, an image file, or a mounted directory
  std::string description;    // "ATA Samsung SSD 860, 465.8 GiB, empty"
  std::uint64_t capacity = 0; // bytes the data filesystem would get (dir: free)
  bool is_directory = false;
  std::vector<std::string> refusals; // empty: may be chosen
};

// The candidates among ALL (probed disks; the given target paths come
// first). Never offered: the boot medium (the disk under / or the live
// medium), loop devices not named in EXPLICIT, rom devices. Source disks
// are listed with their refusal. BYTES_NEEDED: the plan's need.
std::vector<TargetCandidate> target_candidates(const std::vector<disk::Disk> &all,
                                               const std::vector<std::string> &explicit_paths,
                                               const std::vector<disk::Disk> &sources,
                                               std::uint64_t bytes_needed,
                                               const target::Layout &layout);

// The parts of target_candidates, for tests.

// The whole disks ("/dev/vda") holding the filesystems MOUNTS has at /,
// /run/live/medium or /lib/live/mount/medium (through partitions and
// device-mapper slaves, as sysfs tells).
std::vector<std::string> boot_disks(const std::vector<target::MountEntry> &mounts);

// A rom device (sr*, scd*, SCSI type 5), or a disk holding an ISO 9660
// filesystem labelled kRescueMediumLabel (rescue/util/labels.hpp): the
// rescue medium itself, also when it was written to a USB stick (an
// initramfs root mounts nothing from it, so boot_disks cannot see it).
// Never a target, never ticked as a source.
bool is_rescue_medium(const disk::Disk &d);

// The paths to offer, in order: EXPLICIT as given, then the rest of ALL
// in its order; never a rescue medium (is_rescue_medium), a loop device
// not named in EXPLICIT, or one of BOOT (boot_disks).
std::vector<std::string> offered_paths(const std::vector<disk::Disk> &all,
                                       const std::vector<std::string> &explicit_paths,
                                       const std::vector<std::string> &boot);

// "ATA Samsung SSD 860, 465.8 GiB, GPT, 2 partitions": model (or "disk
// image", "disk"), size, what is on it.
std::string describe_disk(const disk::Disk &d, const target::Layout &layout);

// The mount points of data filesystems (xfs, ext4, ext3, btrfs on a block
// device) a user may have mounted to receive the copy, e.g. /mnt/new: not
// /, /boot and below, the live medium, kvm-rescue's own mounts
// (/run/kvm-rescue), nor anything on a BOOT disk. In mountinfo order.
std::vector<std::string> mounted_data_dirs(const std::vector<target::MountEntry> &mounts,
                                           const std::vector<std::string> &boot);

} // namespace kvmr::flow
