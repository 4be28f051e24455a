// Where the copy engine reads one plan item from: a ByteSource chosen by
// the way the old host is open (a file of the kernel path's read-only
// tree, the libguestfs appliance, an LV's segment map), and a source
// identity that stays the same across boots, so a rerun in another boot
// (other device names, another temporary mount point) resumes the copy.
#pragma once

#include "rescue/access/old_host.hpp"
#include "rescue/io/byte_source.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/run/lv_maps.hpp"

#include <memory>
#include <optional>
#include <string>

namespace kvmr::run {

struct ItemSource {
  std::unique_ptr<io::ByteSource> bytes;
  std::string source_id;                    // for CopyOptions::source_id
  std::optional<std::string> metadata_from; // a local file whose mode/owner/times the copy takes
};

// The old host's identity, from the plan's source disks: each disk's
// partition-table id, else its first filesystem/PV UUID, else its serial
// and size. Independent of device names and mount points.
std::string host_identity(const plan::RescuePlan &p);

// Throws InputError naming the item when it cannot be opened (no such
// file, an LV the source disks do not hold), SysError on I/O failures.
ItemSource open_item_source(const plan::RescuePlan &p, const plan::PlanItem &item,
                            access::OldHost &host, const LvMaps &lvs);

} // namespace kvmr::run
