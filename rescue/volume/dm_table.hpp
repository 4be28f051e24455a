// The device-mapper table that shows an LV as one block device: a linear
// target per linear segment, a striped target per striped segment, over
// the block devices (read-only loop devices) that hold its PVs. Pure: the
// caller says which device ("major:minor") serves each PV path.
#pragma once

#include "rescue/lvm/volume_map.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kvmr::volume {

inline constexpr std::uint64_t kDmSector = 512;

// One line of a table; START and LENGTH in 512-byte sectors.
struct DmTarget {
  std::uint64_t start = 0;
  std::uint64_t length = 0;
  std::string type;   // "linear", "striped"
  std::string params; // "7:3 2048" / "2 128 7:3 2048 7:4 2048"
  friend bool operator==(const DmTarget &, const DmTarget &) = default;
};

// "START LENGTH TYPE PARAMS", as dmsetup table prints it.
std::string to_line(const DmTarget &t);

// The table of LV. DEVICES maps each PV path of the LV to "major:minor"
// of the block device that serves that path from byte 0. Throws
// InputError when the LV is not complete (a missing PV, an unmapped
// segment type), a PV path has no device, or an offset or length is not
// a whole number of sectors.
std::vector<DmTarget> dm_table(const lvm::LvMap &lv,
                               const std::map<std::string, std::string> &devices);

} // namespace kvmr::volume
