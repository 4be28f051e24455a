// The old host opened for a plan: its disks probed, its filesystems opened
// read-only, its VMs found, and the plan built from the user's choices.
// What `plan`, `rescue` and the wizard start from; nothing here prints.
#pragma once

#include "rescue/access/old_host.hpp"
#include "rescue/disk/model.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/plan/plan_build.hpp"
#include "rescue/scan/inventory.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kvmr::flow {

struct OpenedSource {
  std::vector<disk::Disk> disks; // the source disks, probed (no SMART)
  std::unique_ptr<access::OldHost> host;
  scan::HostInventory inventory;
};

// Probes PATHS, opens the old host through BACKEND ("auto", "kernel",
// "guestfs") and builds its inventory. CHECKPOINT (may be empty) is called
// between the steps; it throws to stop (Ctrl-C in the CLI, Esc in the
// wizard), and every destructor then releases what was attached.
OpenedSource open_source(const std::vector<std::string> &paths, const std::string &backend,
                         const std::function<void()> &checkpoint = {});

// The plan for TARGET (inspected here) from CHOICES: build_plan with the
// host files the kickstart needs, the payload sizes stated. Throws
// InputError when the choices do not make a plan (an unknown VM, ...).
plan::RescuePlan make_plan(const OpenedSource &src, const std::string &target,
                           plan::PlanChoices choices);

} // namespace kvmr::flow
