// LVM2 volume group metadata as plain values: the VG, its PVs and its LVs
// with their segments, read from the text LVM keeps in every PV's metadata
// area (the same text as /etc/lvm/backup/<vg>). Sizes in the text are in
// 512-byte sectors; the *_bytes() accessors convert.
#pragma once

#include "rescue/lvm/config_tree.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::lvm {

inline constexpr std::uint64_t kLvmSectorSize = 512;

struct PhysicalVolume {
  std::string name;                // the key in the metadata: "pv0", "pv1" ...
  std::string id;                  // PV UUID with dashes, as pvs prints it
  std::string device;              // device path when last written (a hint only)
  std::vector<std::string> status; // ALLOCATABLE, MISSING ...
  std::vector<std::string> flags;
  std::uint64_t dev_size = 0; // sectors; 0 when the text has none
  std::uint64_t pe_start = 0; // sectors from the PV start to extent 0
  std::uint64_t pe_count = 0;
  std::size_t line = 0;

  [[nodiscard]] std::uint64_t pe_start_bytes() const { return pe_start * kLvmSectorSize; }
  [[nodiscard]] std::uint64_t dev_size_bytes() const { return dev_size * kLvmSectorSize; }
  [[nodiscard]] bool flagged_missing() const;
};

enum class SegmentType {
  linear,  // "striped" with one stripe
  striped, // "striped" with several stripes
  other,   // mirror, raid*, thin*, cache*, snapshot, error, zero ...: not mapped here
};

struct StripeArea {
  std::string pv;                 // a PhysicalVolume::name
  std::uint64_t start_extent = 0; // first extent on that PV
};

struct LvSegment {
  std::uint64_t start_extent = 0; // first LV extent of the segment
  std::uint64_t extent_count = 0; // LV extents in the segment (all stripes)
  std::string type_name;          // as written: "striped", "thin", "raid1" ...
  SegmentType type = SegmentType::other;
  std::uint64_t stripe_size = 0;   // sectors; 0 for linear
  std::vector<StripeArea> stripes; // empty for SegmentType::other
  std::size_t line = 0;
};

struct LogicalVolume {
  std::string name;
  std::string id;
  std::vector<std::string> status; // READ, WRITE, VISIBLE ...
  std::vector<std::string> flags;
  std::vector<LvSegment> segments; // sorted, contiguous from extent 0
  std::size_t line = 0;

  [[nodiscard]] std::uint64_t extent_count() const;
  [[nodiscard]] bool visible() const; // hidden LVs are parts of others (raid, thin ...)
};

struct VolumeGroup {
  std::string name;
  std::string id;
  std::uint64_t seqno = 0;
  std::string format; // "lvm2"
  std::vector<std::string> status;
  std::vector<std::string> flags;
  std::uint64_t extent_size = 0; // sectors
  std::vector<PhysicalVolume> physical_volumes;
  std::vector<LogicalVolume> logical_volumes;
  std::string creation_host; // top-level, outside the VG section
  std::int64_t creation_time = 0;
  std::string description;

  [[nodiscard]] std::uint64_t extent_size_bytes() const { return extent_size * kLvmSectorSize; }
  [[nodiscard]] const PhysicalVolume *find_pv(std::string_view pv_name) const;
  [[nodiscard]] const LogicalVolume *find_lv(std::string_view lv_name) const;
};

// Builds the VG from a parsed tree; ORIGIN (where the text came from, such
// as "/dev/sda2 at 4096") starts every error message. Checks what a mapping
// depends on: required keys and their types, sane extent size, segments
// sorted and contiguous, stripe lists complete and naming known PVs.
VolumeGroup volume_group_from_config(const ConfigNode &root, std::string_view origin = {});

// parse_config + volume_group_from_config. Throws InputError.
VolumeGroup parse_volume_group(std::string_view text, std::string_view origin = {},
                               const ConfigLimits &limits = {});

// LVM's id text (32 characters of [0-9a-zA-Z!#]) with dashes 6-4-4-4-4-4-6,
// as LVM prints PV, VG and LV UUIDs. Returns RAW unchanged when it is not 32
// characters long.
std::string format_lvm_uuid(std::string_view raw);

// The 32 id characters of an LVM UUID with or without dashes.
std::string strip_lvm_uuid(std::string_view uuid);

} // namespace kvmr::lvm
