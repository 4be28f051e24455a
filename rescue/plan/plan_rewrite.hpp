// The path rewrites a plan needs once its items are placed: domain and
// snapshot XML naming a moved image or an LV that became a file, the
// backing names inside qcow2 overlays whose backing file moved, pool XML
// whose directory moved. Internal to build_plan.
#pragma once

#include "rescue/plan/plan.hpp"
#include "rescue/scan/inventory.hpp"

#include <string>
#include <vector>

namespace kvmr::plan {

// The item copied from old-host SOURCE; null when none.
PlanItem *find_item(RescuePlan &plan, const std::string &source);

// For VM's disks: a PathRewrite of its domain XML and of each of its
// snapshot XML files for every disk whose image moved or whose LV became
// a file; and new_backing_name/new_backing_format on the items of
// overlays whose backing name no longer leads to the backing file.
void add_vm_rewrites(RescuePlan &plan, const scan::HostInventory &inv, const scan::VmInfo &vm);

// For VM's domain XML: an eject rewrite for each cdrom or floppy whose
// medium is not copied, and a PathRewrite of an <nvram> the XML names
// whose variable store is placed elsewhere (plan_layout.hpp place_nvram).
void add_vm_media_rewrites(RescuePlan &plan, const scan::VmInfo &vm);

// A PathRewrite for each dir pool whose target directory moves.
void add_pool_rewrites(RescuePlan &plan, const scan::LibvirtConfig &cfg);

// Sets PlanItem::rewritten on every XML item a rewrite applies to, and
// on the domain and snapshot XML of each VM named in RENAMED (its name on
// the old disk was not safe: scan/vm_name.hpp; the copy's <name> becomes
// the plan's, PlanItem::vm).
void mark_rewritten(RescuePlan &plan, const std::vector<std::string> &renamed = {});

} // namespace kvmr::plan
