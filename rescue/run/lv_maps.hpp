// The old host's LVs as segment maps, found on the source disks by reading
// the LVM2 labels and metadata (no device-mapper, nothing activated), so
// an LV-backed VM disk is copied through io::LvByteSource whichever way
// the old host's files are read.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/lvm/volume_map.hpp"

#include <map>
#include <string>
#include <vector>

namespace kvmr::run {

struct LvMaps {
  std::map<std::string, lvm::LvMap> lvs; // "vg/lv" -> map
  std::vector<std::string> problems;     // unreadable PVs, LVM findings
};

// Reads every LVM2 PV on DISKS (probed source disks: partitions and whole
// disks) and maps every visible LV.
LvMaps find_lv_maps(const std::vector<disk::Disk> &disks);

} // namespace kvmr::run
