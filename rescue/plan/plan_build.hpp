// Building a RescuePlan from the inventory `scan` produced and the user's
// choices; the space preflight; the plan as text for review.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/scan/inventory.hpp"
#include "rescue/target/target.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::plan {

// A host file the kickstart step reads (/etc/hostname, ifcfg-*, ...),
// found on the old host's tree (see plan_source.hpp).
struct HostFile {
  std::string path;
  std::uint64_t size = 0;
};

struct PlanChoices {
  std::vector<std::string> vms;   // empty: every VM that is not not_ready
  bool include_not_ready = false; // with explicit --vm: take what can be read
  // Copy vmdk, vhdx, vpc, ... disks as they are instead of converting
  // them to qcow2 for EL (plan_convert.hpp).
  bool keep_format = false;
  target::Layout target_layout;
  PlanLayout layout;
  KickstartChoices kickstart;
  std::string backend = "auto";
  // The host files to take; empty: those the host profile names (the
  // hostname file, the ifcfg files, resolv.conf, qemu.conf), size unknown.
  std::vector<HostFile> host_files;
};

// Throws InputError when a chosen VM does not exist (naming it and the
// VMs there are) or nothing is left to copy.
RescuePlan build_plan(const scan::HostInventory &inv, const std::vector<disk::Disk> &sources,
                      const target::TargetInfo &target, const PlanChoices &choices);

// The space the plan's items take on the target: their allocated bytes
// (payload files rounded up to 4 KiB blocks) plus the margin of plan.hpp.
std::uint64_t bytes_needed(const RescuePlan &plan);

// Empty when the plan fits on the target; otherwise one sentence with the
// bytes needed, the bytes free and the target named.
std::string space_shortfall(const RescuePlan &plan);

// The plan for a person to review: sources, target, each VM with its
// items and sizes, rewrites, the kickstart choices, warnings.
std::string render_plan(const RescuePlan &plan);

// The way into the rebuilt host that choices K give, in words, with names
// and counts only: "same as the old host (root + 2 users): root's old
// password, 1 SSH key", "a new root password + 1 admin account of the old
// host", "root locked, 1 SSH key".
std::string logins_choice(const KickstartChoices &k);
// True when choices K let someone into the rebuilt host: a root password
// or key under the policy, or an old admin account with either.
bool gives_way_in(const KickstartChoices &k);

} // namespace kvmr::plan
