// The outcome of a rescue run for people and programs: per VM copied,
// copied with bad sectors, failed, skipped (or incomplete after a
// cancel), with totals, rates, every damaged range and the next steps.
// Built from the plan and the manifest; written as report.json
// (report_json.hpp, docs/schemas/report.schema.json) and report.txt
// (report_text.hpp).
#pragma once

#include "rescue/plan/plan.hpp"
#include "rescue/run/manifest.hpp"
#include "rescue/scan/qcow2_map.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::run {

// What the caller knows about this run beyond the manifest.
struct RunInfo {
  std::string target;      // as given (--target, or the plan's)
  std::string target_root; // where its data filesystem was mounted for the copy
  std::string plan_path;   // the plan file to give `kickstart --plan`
  std::string backend;     // how the old host was read ("kernel", "guestfs")
  std::string started;     // ISO 8601 UTC
  std::string finished;
  double seconds = 0;
  bool cancelled = false;
  // The target gave out mid-run (run/target_failure.hpp): the error and
  // what to do; "" when it did not.
  std::string target_failure;
  std::vector<std::string> warnings;
};

struct VmOutcome {
  std::string name;
  // "copied", "copied_with_bad_sectors", "failed", "incomplete" (cancelled
  // before all its items were done), "skipped" (not in the plan's copy)
  std::string status;
  std::vector<std::string> reasons;
  std::size_t items = 0;
  std::uint64_t bytes = 0;     // apparent
  std::uint64_t bad_bytes = 0; // zero-filled
};

struct DamagedRange {
  std::string vm;
  std::string guest_disk; // "vda", "vda (backing file)"; empty when not an image
  std::string source;     // the old-host file or LV
  std::string dest;       // relative to the target root
  std::string format;     // the image format ("qcow2", "raw"); empty for other items
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  // qcow2 images: what the range hit (header, tables, data and its guest
  // offsets); set by map_qcow2_damage (qcow2_damage.hpp), not summarize.
  std::optional<scan::Qcow2Hit> qcow2;
};

struct Totals {
  std::size_t items = 0;
  std::size_t copied = 0;
  std::size_t reused = 0; // done by an earlier run
  std::size_t resumed = 0;
  std::size_t failed = 0;
  std::size_t pending = 0;
  std::uint64_t bytes = 0;
  std::uint64_t data_bytes = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t allocated_bytes = 0;
  std::uint64_t bad_bytes = 0;
  double copy_seconds = 0;
  double verify_seconds = 0;
  double copy_rate = 0; // data bytes read per second of copying
};

struct RunReport {
  RunInfo info;
  std::vector<std::string> sources; // the plan's source disks
  std::vector<VmOutcome> vms;       // planned VMs first, then skipped ones
  std::vector<DamagedRange> damaged;
  std::vector<std::string> errors; // failed items, invalid XML, failed image checks
  Totals totals;
  std::vector<std::string> next_steps;
  // 0: everything copied and checked; 1: partial (bad sectors, a failed
  // item or check); 130: cancelled.
  [[nodiscard]] int exit_code() const;
};

RunReport summarize(const plan::RescuePlan &p, const Manifest &m, const RunInfo &info);

// The unreadable bytes of one copied item (the sum of its bad ranges).
std::uint64_t bad_bytes_of(const ManifestItem &i);

} // namespace kvmr::run
