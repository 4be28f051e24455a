// SMART health of a block device through smartctl's JSON output, reduced to
// a plain verdict. Goes through the CommandRunner seam.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/util/command.hpp"

#include <string>

namespace kvmr::disk {

// Asks `smartctl --json -H -i DEV`. Image files and loop devices are
// not_applicable (the caller decides); a missing smartctl is unavailable.
SmartHealth smart_health(const std::string &dev, CommandRunner &runner);

// The verdict from smartctl's JSON text (exposed for tests).
SmartHealth parse_smartctl_json(const std::string &json_text);

} // namespace kvmr::disk
