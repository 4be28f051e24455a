// report.txt: the run's outcome for a person: what was copied, what is
// damaged and where, what failed and why, and what to do next.
#pragma once

#include "rescue/run/report.hpp"

#include <string>

namespace kvmr::run {

std::string render_report(const RunReport &r);

// "512 B", "1.5 MiB", "2.0 GiB"
std::string size_text(std::uint64_t bytes);

} // namespace kvmr::run
