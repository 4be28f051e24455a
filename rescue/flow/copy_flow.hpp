// The part `kvm-rescue copy`, `kvm-rescue rescue` and the wizard share:
// the planned source disks found again by identity, the sources re-checked
// against the plan, the target checked, prepared (only when the wipe is
// confirmed) or resumed, mounted, the plan executed, the report written to
// the target. Nothing here prints: notes, progress and items leave through
// CopyHooks, the report is returned.
#pragma once

#include "rescue/access/old_host.hpp"
#include "rescue/copy/hash.hpp"
#include "rescue/copy/progress.hpp"
#include "rescue/disk/model.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/run/lv_maps.hpp"
#include "rescue/run/manifest.hpp"
#include "rescue/run/report.hpp"
#include "rescue/util/error.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::flow {

// Bad input or a refusal: the message says what and why.
class Refused : public InputError {
public:
  using InputError::InputError;
};

struct CopyRequest {
  // A device or image target is prepared only when this names it.
  std::string confirm_wipe;
  copy::HashKind hash = copy::HashKind::xxh3_128;
  int retries = 1;
  std::uint64_t max_rate = 0; // bytes/s; 0: no limit
  // The plan file the run was started from (copy --plan); empty when the
  // plan exists only on the target (rescue, the wizard).
  std::string plan_file;
  // Set by another thread to stop at a clean point (maps saved, nothing
  // renamed); the run then returns with cancelled set.
  const std::atomic<bool> *cancel = nullptr;
  // Called between the steps before the copy; throws to stop (may be empty).
  std::function<void()> checkpoint;
  // A network target: after a complete copy the restore script runs on
  // that host, with --dry-run (what it would do) unless RESTORE is set,
  // with RESTORE_OPTIONS (--allow-emulation, ...).
  bool restore = false;
  std::vector<std::string> restore_options;
  // A network target whose plan names no identity: the login's password
  // (open_remote); never written anywhere.
  std::string ssh_password;
};

struct CopyHooks {
  copy::ProgressSink *progress = nullptr;
  std::function<void(const std::string &)> note; // target notes, engine log lines
  std::function<void(const plan::PlanItem &, const std::string &dest_path)> item_begin;
  std::function<void(const plan::PlanItem &, const run::ManifestItem &)> item_end;
  // After the reports are written, while the target is still mounted: the
  // target's report directory (ROOT/kvm-rescue), for files that belong
  // beside the report (the wizard's session log).
  std::function<void(const std::string &report_dir)> finished;
};

struct CopyOutcome {
  run::RunReport report;
  std::string report_text; // also written to the target
  std::string report_json; // also written to the target
  bool cancelled = false;
  int exit_code = 0; // report.exit_code(), or 130 when cancelled
  // A network target: what the restore script printed there (stdout and
  // stderr) and its exit code; -1 when it did not run.
  std::string restore_output;
  int restore_exit = -1;
};

// The planned source disks where they are now (plan::locate_disk over the
// planned paths and by-id names). Throws Refused naming every difference.
std::vector<disk::Disk> locate_sources(const plan::RescuePlan &p);

// Every item's source exists with the planned size. Throws Refused
// naming each one that does not.
void recheck_sources(const plan::RescuePlan &p, access::OldHost &host, const run::LvMaps &lvs);

// A plan stored on the target by an earlier run: the directory's
// kvm-rescue/plan.json, or (device or image) the one on its kvm-rescue
// data partition, read only when nothing refuses that target.
std::optional<plan::RescuePlan> stored_plan(const plan::PlanTarget &t,
                                            const std::vector<disk::Disk> &sources);

// Same old host, same items: a rerun continues the stored plan.
bool same_work(const plan::RescuePlan &a, const plan::RescuePlan &b);

// Target, execution, report. Throws Refused when the target or the
// sources refuse.
CopyOutcome run_copy(const plan::RescuePlan &p, const std::vector<disk::Disk> &sources,
                     access::OldHost &host, const CopyRequest &req, const CopyHooks &hooks);

// The bytes the copy moves, for an overall progress bar: each item's
// allocated bytes (its size when that is unknown).
std::uint64_t bytes_to_copy(const plan::RescuePlan &p);

} // namespace kvmr::flow
