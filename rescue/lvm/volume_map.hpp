// Assembling volume groups from the PVs found on the dead host's disks and
// mapping every LV to byte ranges on those disks (or image files), so an LV
// can be read without device-mapper: through a read-only loop device at an
// offset when it is one contiguous run, or range by range by the copier.
// An LV byte at extent E of a PV is at
//   PV offset + pe_start * 512 + E * extent_size * 512.
#pragma once

#include "rescue/lvm/label.hpp"
#include "rescue/lvm/metadata.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::lvm {

// Where one PV of the VG's metadata was found.
struct PvPlacement {
  std::string name;        // "pv0" ...
  std::string id;          // PV UUID with dashes
  std::string device_hint; // the device path in the metadata (when it was written)
  bool present = false;    // a PV with this UUID was among the inputs
  std::string path;        // where it was found (empty when missing)
  std::uint64_t pv_offset = 0;
  std::uint64_t available = 0;
  std::uint64_t data_start = 0; // byte offset of extent 0 on PATH (pv_offset + pe_start)
};

// One stripe of a segment: a run of extents on one PV.
struct StripeTarget {
  std::string pv;                  // PV name in the metadata
  std::string path;                // where that PV is (empty when missing)
  std::uint64_t device_offset = 0; // byte offset on PATH of the stripe's first byte
  bool present = false;            // the PV is there and the whole run lies inside it
};

struct MappedSegment {
  std::uint64_t lv_offset = 0; // bytes from the LV start
  std::uint64_t length = 0;    // bytes
  SegmentType type = SegmentType::other;
  std::string type_name;
  std::uint64_t stripe_size = 0;     // bytes; 0 for linear
  std::vector<StripeTarget> stripes; // one for linear
};

struct LvMap {
  std::string name;
  std::string id;
  bool visible = true;
  std::uint64_t size = 0; // bytes
  std::vector<MappedSegment> segments;
  // Missing PVs, extents past a PV's end, unsupported segment types; empty
  // when every byte of the LV can be located.
  std::vector<std::string> problems;
  [[nodiscard]] bool complete() const { return problems.empty(); }
};

struct AssembledVg {
  VolumeGroup vg;            // the newest metadata found for it
  std::string metadata_path; // the PV it was read from
  bool metadata_verified = false;
  std::vector<PvPlacement> pvs; // in metadata order
  std::vector<LvMap> lvs;       // in metadata order
  std::vector<std::string> problems;

  [[nodiscard]] std::vector<std::string> missing_pvs() const; // names of absent PVs
  // LVs with at least one extent on a missing PV.
  [[nodiscard]] std::vector<std::string> lvs_on_missing_pvs() const;
  [[nodiscard]] const LvMap *find_lv(std::string_view name) const;
};

struct Assembly {
  std::vector<AssembledVg> vgs;
  std::vector<std::string> orphans;  // "path: PV uuid" of PVs that no VG names
  std::vector<std::string> problems; // duplicates, stale metadata, ...
};

// Groups PVS by VG id, picks the copy with the highest seqno (preferring a
// verified one), finds every PV of each VG by UUID and maps every LV.
// Never throws on inconsistent input: findings go into problems.
Assembly assemble_volume_groups(const std::vector<PvLabel> &pvs);

// One contiguous piece of an LV on one device.
struct ByteRange {
  std::uint64_t lv_offset = 0;
  std::uint64_t length = 0;
  std::string path; // empty when the PV is missing
  std::uint64_t device_offset = 0;
  bool present = false; // false: these LV bytes cannot be read (missing PV, past its end)
};

// The run of LV bytes starting at LV_OFFSET that lies contiguously on one
// device: to the end of the stripe chunk for striped segments, to the end
// of the segment for linear ones. Throws InputError past the LV's end.
ByteRange resolve(const LvMap &lv, std::uint64_t lv_offset);

// The LV's bytes [FROM, FROM+LENGTH) as device ranges, in LV order,
// stripe chunk by stripe chunk, adjacent ranges merged.
std::vector<ByteRange>
byte_ranges(const LvMap &lv, std::uint64_t from = 0,
            std::uint64_t length = std::numeric_limits<std::uint64_t>::max());

// The LV as one range when it is a single contiguous run on one device
// (then a read-only loop device with --offset and --sizelimit serves it).
std::optional<ByteRange> single_run(const LvMap &lv);

enum class LvAccess {
  loop_at_offset, // one contiguous run: a loop device is enough
  device_mapper,  // all there, but in several pieces: device-mapper or the copier's map
  unavailable,    // parts missing, or segment types not mapped here
};
LvAccess lv_access(const LvMap &lv);

} // namespace kvmr::lvm
