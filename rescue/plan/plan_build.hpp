// Building a RescuePlan from the inventory `scan` produced and the user's
// choices; the space preflight; the plan as text for review.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/scan/inventory.hpp"
#include "rescue/target/target.hpp"

#include <string>
#include <vector>

namespace kvmr::plan {

struct PlanChoices {
  std::vector<std::string> vms; // empty: every VM that is not not_ready
  bool include_not_ready = false; // with explicit --vm: take what can be read
  target::Layout target_layout;
  PlanLayout layout;
  KickstartChoices kickstart;
  std::string backend = "auto";
};

// Throws InputError when a chosen VM does not exist (naming it and the
// VMs there are) or nothing is left to copy.
RescuePlan build_plan(const scan::HostInventory &inv, const std::vector<disk::Disk> &sources,
                      const target::TargetInfo &target, const PlanChoices &choices);

// Empty when the plan fits on the target; otherwise one sentence with the
// bytes needed, the bytes free and the target named.
std::string space_shortfall(const RescuePlan &plan);

// The plan for a person to review: sources, target, each VM with its
// items and sizes, rewrites, the kickstart choices, warnings.
std::string render_plan(const RescuePlan &plan);

} // namespace kvmr::plan
