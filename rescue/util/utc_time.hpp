// The current time as the plan, manifest and report write it.
#pragma once

#include <string>

namespace kvmr {

// "2026-11-29T06:38:16Z" (ISO 8601, UTC, seconds).
std::string utc_now();

} // namespace kvmr
