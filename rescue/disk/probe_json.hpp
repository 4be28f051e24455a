// The probe result as JSON (docs/schemas/probe.schema.json). Sizes are
// bytes; enums are their to_string() names.
#pragma once

#include "rescue/disk/model.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace kvmr::disk {

inline constexpr int kProbeSchemaVersion = 1;

nlohmann::json to_json(const Disk &d);

// {"schema_version": 1, "kind": "kvm-rescue.probe", "disks": [...]}
nlohmann::json probe_report(const std::vector<Disk> &disks);

} // namespace kvmr::disk
