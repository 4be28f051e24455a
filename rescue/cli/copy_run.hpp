// The part `kvm-rescue copy` and `kvm-rescue rescue` share: the planned
// source disks found again by identity, the sources re-checked against
// the plan, the target checked, prepared (only with --confirm-wipe) or
// resumed, mounted, the plan executed, the report written and printed.
#pragma once

#include "rescue/access/old_host.hpp"
#include "rescue/cli/cancel_watch.hpp"
#include "rescue/disk/model.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/run/lv_maps.hpp"
#include "rescue/util/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::cli {

// Bad input or a refusal: exit 2, the message says what and why.
class Refused : public InputError {
public:
  using InputError::InputError;
};

struct CopyFlags {
  std::string confirm_wipe;
  std::string hash = "xxh3"; // xxh3 or sha256
  int retries = 1;
  std::uint64_t max_rate = 0; // bytes/s; 0: no limit
  bool json = false;
  // The plan file the run was started from (copy --plan); empty for
  // rescue, whose plan exists only on the target.
  std::string plan_file;
};

// The planned source disks where they are now (plan::locate_disk over the
// planned paths and by-id names). Throws Refused naming every difference.
std::vector<disk::Disk> locate_sources(const plan::RescuePlan &p);

// Every item's source exists with the planned size. Throws Refused
// naming each one that does not.
void recheck_sources(const plan::RescuePlan &p, access::OldHost &host, const run::LvMaps &lvs);

// A plan stored on the target by an earlier run, and whether it is the
// one to continue: the directory's kvm-rescue/plan.json, or (device or
// image) the one on its kvm-rescue data partition.
std::optional<plan::RescuePlan> stored_plan(const plan::PlanTarget &t,
                                            const std::vector<disk::Disk> &sources);

// Same old host, same items: a rerun of `rescue` continues the stored plan.
bool same_work(const plan::RescuePlan &a, const plan::RescuePlan &b);

// Target, execution, report. Returns the exit code.
int copy_plan(const plan::RescuePlan &p, const std::vector<disk::Disk> &sources,
              access::OldHost &host, const CopyFlags &flags, CancelWatch &watch);

} // namespace kvmr::cli
