// Executing a RescuePlan: every item copied from the old host to its
// place on the mounted target (plan.hpp's TARGET LAYOUT), hashed and
// verified by the copy engine, secrets 0600, rewritten XML with its
// original kept under kvm-rescue/original, backing names set, qcow2 copies
// checked, payload XML validated; the plan and the manifest saved under
// TARGET/kvm-rescue. A rerun of the same plan keeps what is done and
// resumes partial copies; a cancel leaves a manifest of what is done.
#pragma once

#include "rescue/access/old_host.hpp"
#include "rescue/copy/copy_item.hpp"
#include "rescue/copy/hash.hpp"
#include "rescue/copy/progress.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/run/finisher.hpp"
#include "rescue/run/lv_maps.hpp"
#include "rescue/run/manifest.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace kvmr::run {

struct ExecuteOptions {
  copy::HashKind hash = copy::HashKind::xxh3_128;
  int retries = 1; // passes over bad ranges after the first
  const std::atomic<bool> *cancel = nullptr;
  copy::ProgressSink *progress = nullptr;
  Finisher *finisher = nullptr; // null: no rewrites (a rewritten item fails), no checks
  std::function<void(const std::string &)> log; // one line per step; may be empty
  // Around each item that is copied (not those kept from an earlier run);
  // may be empty.
  std::function<void(const plan::PlanItem &)> item_begin;
  std::function<void(const plan::PlanItem &, const ManifestItem &)> item_end;
  std::size_t chunk_size = 0; // 0: the engine's default
  std::uint64_t max_rate = 0; // bytes/s read from the old host; 0: no limit
  // Called with each image's copy options before it is copied, to fit
  // them to the target (a remote target's hasher, no direct writes); may
  // be empty.
  std::function<void(copy::CopyOptions &)> tune_copy;
  // The bytes an image copy takes on the target's disk, where the target
  // knows better than stat here (a network target); may be empty.
  std::function<std::uint64_t(const std::string &path)> allocated_of;
  // How errors name the target when its root is a private mount point
  // (target_error_text); empty for a directory target.
  std::string target_shown_as;
};

struct ExecuteResult {
  Manifest manifest;
  bool cancelled = false;
  bool resumed = false; // an earlier run's manifest was found and continued
  // The target gave out (target_failure.hpp): the error, and its errno;
  // the run stopped there and the manifest may not have been saved.
  std::string target_failure;
  int target_errno = 0;
};

// The files under TARGET_ROOT/kvm-rescue.
std::string plan_file(const std::string &target_root);
std::string manifest_file(const std::string &target_root);
std::string report_json_file(const std::string &target_root);
std::string report_text_file(const std::string &target_root);

// TARGET_ROOT joined with a plan's relative DEST; InputError when DEST is
// absolute, empty or climbs out ("..").
std::string target_path(const std::string &target_root, const std::string &dest);

// Copies P's items (see above). Item failures are recorded in the
// manifest, not thrown. When the target gives out (is_target_failure) the
// run stops and says so in the result; throws only when the target cannot
// be written before the first item (the kvm-rescue directory, the plan).
ExecuteResult execute_plan(const plan::RescuePlan &p, access::OldHost &host, const LvMaps &lvs,
                           const std::string &target_root, const ExecuteOptions &opt);

} // namespace kvmr::run
