// LV maps from the source disks (see lv_maps.hpp).
#include "rescue/run/lv_maps.hpp"

#include "rescue/lvm/label.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

namespace kvmr::run {

LvMaps find_lv_maps(const std::vector<disk::Disk> &disks) {
  LvMaps out;
  std::vector<lvm::PvLabel> labels;
  for (const auto &d : disks) {
    if (d.status == disk::DiskStatus::error) {
      continue;
    }
    const auto add = [&](const disk::Filesystem &fs, std::uint64_t off, std::uint64_t size) {
      if (fs.outcome != disk::ProbeOutcome::found || fs.type != "LVM2_member") {
        return;
      }
      try {
        const auto fd = open_read_only(d.path);
        labels.push_back(lvm::read_pv_label(fd.get(), d.path, off, size));
      } catch (const std::exception &e) {
        out.problems.push_back(
            fmt::format("{} at {}: LVM2 PV unreadable: {}", d.path, off, e.what()));
      }
    };
    if (d.whole_disk) {
      add(*d.whole_disk, 0, d.size);
    }
    for (const auto &p : d.table.partitions) {
      add(p.fs, p.start, std::min(p.size, d.size > p.start ? d.size - p.start : 0));
    }
  }
  const lvm::Assembly a = lvm::assemble_volume_groups(labels);
  for (const auto &p : a.problems) {
    out.problems.push_back("LVM: " + p);
  }
  for (const auto &vg : a.vgs) {
    for (const auto &lv : vg.lvs) {
      if (lv.visible) {
        out.lvs.emplace(vg.vg.name + "/" + lv.name, lv);
      }
    }
  }
  return out;
}

} // namespace kvmr::run
