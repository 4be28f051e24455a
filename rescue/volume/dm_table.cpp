// Device-mapper tables for LVs (see dm_table.hpp).
#include "rescue/volume/dm_table.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

namespace kvmr::volume {
namespace {

std::uint64_t sectors(const lvm::LvMap &lv, std::uint64_t bytes, const char *what) {
  if (bytes % kDmSector != 0) {
    throw InputError(fmt::format("LV {}: {} {} is not a whole number of 512-byte sectors", lv.name,
                                 what, bytes));
  }
  return bytes / kDmSector;
}

std::string device_of(const lvm::LvMap &lv, const std::map<std::string, std::string> &devices,
                      const lvm::StripeTarget &t) {
  const auto it = devices.find(t.path);
  if (it == devices.end()) {
    throw InputError(fmt::format("LV {}: no block device for PV {} on {}", lv.name, t.pv, t.path));
  }
  return fmt::format("{} {}", it->second, sectors(lv, t.device_offset, "PV offset"));
}

} // namespace

std::string to_line(const DmTarget &t) {
  return fmt::format("{} {} {} {}", t.start, t.length, t.type, t.params);
}

std::vector<DmTarget> dm_table(const lvm::LvMap &lv,
                               const std::map<std::string, std::string> &devices) {
  if (!lv.complete() || lv.size == 0) {
    throw InputError(fmt::format("LV {}: cannot be mapped by device-mapper: {}", lv.name,
                                 lv.problems.empty()
                                     ? std::string("it is empty")
                                     : fmt::format("{}", fmt::join(lv.problems, "; "))));
  }
  std::vector<DmTarget> table;
  for (const auto &s : lv.segments) {
    DmTarget t;
    t.start = sectors(lv, s.lv_offset, "segment offset");
    t.length = sectors(lv, s.length, "segment length");
    if (s.stripes.size() == 1) {
      t.type = "linear";
      t.params = device_of(lv, devices, s.stripes[0]);
    } else {
      t.type = "striped";
      t.params = fmt::format("{} {}", s.stripes.size(), sectors(lv, s.stripe_size, "stripe size"));
      for (const auto &st : s.stripes) {
        t.params += " " + device_of(lv, devices, st);
      }
    }
    table.push_back(std::move(t));
  }
  return table;
}

} // namespace kvmr::volume
