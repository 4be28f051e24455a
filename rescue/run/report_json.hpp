// report.json (docs/schemas/report.schema.json): the run's outcome for
// programs.
#pragma once

#include "rescue/run/report.hpp"

#include <nlohmann/json.hpp>

namespace kvmr::run {

inline constexpr const char *kReportKind = "kvm-rescue.report";

nlohmann::json to_json(const RunReport &r);

} // namespace kvmr::run
