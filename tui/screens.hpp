// The ten screens of the wizard, in order. Each runs until the user moves
// on (next), goes back a step, quits, or a signal stops the wizard; it
// reads and changes only WizardState and calls the core through rescue/flow.
#pragma once

#include "tui/model.hpp"
#include "tui/ui.hpp"

#include <optional>
#include <string>

namespace kvmr::tui {

enum class Nav { next, back, quit, stop };

Nav screen_welcome(Ui &ui, WizardState &s);   // 1
Nav screen_disks(Ui &ui, WizardState &s);     // 2
Nav screen_old_host(Ui &ui, WizardState &s);  // 3
Nav screen_vms(Ui &ui, WizardState &s);       // 4
Nav screen_target(Ui &ui, WizardState &s);    // 5
Nav screen_new_host(Ui &ui, WizardState &s);  // 6
Nav screen_review(Ui &ui, WizardState &s);    // 7
Nav screen_copy(Ui &ui, WizardState &s);      // 8
Nav screen_kickstart(Ui &ui, WizardState &s); // 9
Nav screen_done(Ui &ui, WizardState &s);      // 10

// The network target (screens_remote.cpp): the Remote host form and its
// Network screen, from the Target screen's last row; next once the host
// key was confirmed and the plan made there.
Nav screen_remote_host(Ui &ui, WizardState &s);
// The plan for s.remote made again (after the VMs changed); says why when
// it cannot be. True when s.plan was set.
bool plan_remote(Ui &ui, WizardState &s);
// Screen 9 for the network target: the restore's dry run there shown, the
// choices (start the autostart VMs, emulation, renames), and the restore
// run for real once confirmed.
Nav screen_remote_restore(Ui &ui, WizardState &s);
// The replay's restore step: run for real with the answer file's choices.
Nav auto_restore(Ui &ui, WizardState &s);

// The replay's kickstart step: written without questions (to the OEMDRV
// volume of a prepared target, else to the answer directory's ks.cfg);
// a failure is kept in ks_error for the summary.
Nav auto_kickstart(Ui &ui, WizardState &s);

// Takes the one-wizard-at-a-time lock (wizard_lock.hpp) unless held; when
// another wizard holds it, says which one and returns false.
bool claim_disks(Ui &ui, WizardState &s);

// What every screen does with the keys it does not use itself: help (F1,
// '?'), quit ('q', Ctrl-C: asks first), a signal. Nothing for other keys.
std::optional<Nav> common_key(Ui &ui, Key k, const std::string &screen, const std::string &help);

// Probes the disks the wizard works on (the options' disks and target, or
// every disk of the machine) on a worker thread; a rescan keeps the ticks
// of the disks still there and the opened old host. False when stopped
// or failed (the disks known before stay).
bool probe_all(Ui &ui, WizardState &s, int step);

} // namespace kvmr::tui
