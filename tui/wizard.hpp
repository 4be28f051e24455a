// The wizard: the ten screens in order, Esc going back a step, and the
// replay of an answer file (copy and kickstart, no questions).
#pragma once

#include "tui/model.hpp"

#include <atomic>

namespace kvmr::tui {

// Runs the wizard on the terminal. STOP is set by the signal watcher
// (SIGINT, SIGTERM, SIGHUP); the wizard then leaves at once, releasing
// everything. Returns the exit code: 0 done, 1 done with damage or
// warnings, 130 left before the end.
int run_wizard(const WizardOptions &opts, const std::atomic<bool> &stop);

} // namespace kvmr::tui
