// The manifest: what a rescue run put on the target, item by item, as
// TARGET/kvm-rescue/manifest.json (docs/schemas/manifest.schema.json).
// Saved after every item, atomically, so an interrupted run leaves an
// accurate record and a rerun of the same plan knows what is done.
#pragma once

#include "rescue/util/utc_time.hpp"

#include "rescue/copy/pipeline.hpp"
#include "rescue/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::run {

inline constexpr int kManifestSchemaVersion = 1;
inline constexpr const char *kManifestKind = "kvm-rescue.manifest";

enum class ItemStatus {
  pending,                 // not (yet) done: cancelled before it, or never reached
  copied,                  // every byte copied and verified
  copied_with_bad_sectors, // copied and verified; unreadable ranges are zeros
  failed,                  // not copied; error says why (nothing carries the final name)
};
const char *to_string(ItemStatus s) noexcept;
ItemStatus parse_item_status(const std::string &s); // InputError on other values

// A check run on a copied file: qemu-img check, virt-xml-validate.
struct CheckResult {
  std::string state = "not_run"; // "not_run", "ok", "failed", "unavailable" (tool missing)
  std::string detail;            // the tool's message on failure
  friend bool operator==(const CheckResult &, const CheckResult &) = default;
};

struct ManifestItem {
  plan::ItemKind kind = plan::ItemKind::image;
  std::string vm;
  std::string source; // old-host path, or the LV name
  std::string dest;   // relative to the target root
  std::string new_path;
  std::string format;
  bool secret = false;
  ItemStatus status = ItemStatus::pending;
  std::uint64_t size = 0;                  // apparent bytes
  std::uint64_t data_bytes = 0;            // the source's data extents
  std::uint64_t allocated_bytes = 0;       // on the target
  std::uint64_t bytes_read = 0;            // by the run that copied it
  std::string hash_kind;                   // "xxh3-128" / "sha256"
  std::string hash;                        // of the bytes copied (before a backing rewrite)
  bool verified = false;                   // re-read from the target and compared
  bool resumed = false;                    // continued an earlier run's partial copy
  bool reused = false;                     // already complete from an earlier run: not copied again
  std::vector<copy::ByteRange> bad_ranges; // zero-filled on the target
  std::string map_path;                    // ddrescue mapfile, relative to the target root
  // XML the plan rewrites: the unmodified copy and its hash.
  std::string original_dest;
  std::string original_hash;
  // qcow2 overlays: the backing name written into the copy's header.
  std::string backing_rewrite;
  // Converted images (plan's convert_from): the old top image's format.
  std::string converted_from;
  CheckResult image_check;    // qcow2 copies: qemu-img check
  CheckResult xml_validation; // payload XML: virt-xml-validate
  std::string error;
  double copy_seconds = 0;
  double verify_seconds = 0;
};

struct Manifest {
  int schema_version = kManifestSchemaVersion;
  std::string generator;    // "kvm-rescue 0.1.0"
  std::string plan_created; // RescuePlan::created of the plan executed
  std::string started;      // ISO 8601 UTC, first run
  std::string updated;      // ISO 8601 UTC, last save
  std::string hash_kind;
  bool complete = false; // every item was attempted (none pending)
  std::vector<ManifestItem> items;
};

// A manifest entry for each plan item, all pending.
Manifest manifest_for(const plan::RescuePlan &p, const std::string &hash_kind);

nlohmann::json to_json(const Manifest &m);
// Throws InputError naming the field.
Manifest manifest_from_json(const nlohmann::json &j);

// Atomic (NAME.tmp, fdatasync, rename, directory fsync).
void save_manifest(const Manifest &m, const std::string &path);
// nullopt when PATH does not exist; InputError naming PATH when unreadable.
std::optional<Manifest> load_manifest(const std::string &path);

// "2026-11-29T05:12:00Z" (rescue/util/utc_time.hpp)
using kvmr::utc_now;

} // namespace kvmr::run
