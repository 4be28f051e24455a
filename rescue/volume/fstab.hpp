// /etc/fstab of the old host: entries, and which of the dead host's
// volumes each one names (UUID=, LABEL=, PARTUUID=, /dev/mapper/VG-LV,
// /dev/VG/LV, /dev/disk/by-uuid/...).
#pragma once

#include <string>
#include <vector>

namespace kvmr::volume {

struct FstabEntry {
  std::string spec;
  std::string mountpoint;
  std::string fstype;
  std::string options;
  int line = 0;
};

// Parses fstab TEXT; comments and blank lines skipped, \040-style escapes
// decoded. Lines with fewer than three fields are ignored.
std::vector<FstabEntry> parse_fstab(const std::string &text);

// True for entries that name a local filesystem to mount (not swap, proc,
// tmpfs, network filesystems, bind mounts or "noauto").
bool is_local_mount(const FstabEntry &e);

// How SPEC names a volume.
struct VolumeRef {
  enum class Kind { uuid, label, partuuid, lvm, device, unknown } kind = Kind::unknown;
  std::string value; // uuid, label, "VG/LV", or the device path
};

VolumeRef parse_spec(const std::string &spec);

} // namespace kvmr::volume
