// What the wizard knows and what the user chose, and the pure rules over
// it (default selections, totals, the lines the lists show, what a typed
// confirmation must match). No curses and no disk access here, so every
// rule is unit-tested.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/flow/copy_flow.hpp"
#include "rescue/flow/remote_flow.hpp"
#include "rescue/flow/source.hpp"
#include "rescue/flow/targets.hpp"
#include "rescue/net/nic.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/plan/plan_build.hpp"
#include "rescue/scan/inventory.hpp"
#include "tui/session_log.hpp"
#include "tui/wizard_lock.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::tui {

struct WizardOptions {
  std::vector<std::string> disks; // only these disks or images; empty: every disk
  std::string target;             // offered first as the target
  std::string replay;             // an answer file: copy and kickstart, no questions
  std::string confirm_wipe;       // replay: the target that may be prepared
  std::string backend = "auto";
  std::string answer_dir = "."; // where the Review screen saves the answer file
  std::uint64_t max_rate = 0;   // the copy's read rate limit, bytes/s; 0: none
  std::string log;              // the session log file; empty: none
};

struct WizardState {
  WizardOptions opts;
  std::vector<disk::Disk> disks;    // probed, in the order shown
  std::vector<bool> source_checked; // per disk: part of the old host
  std::unique_ptr<flow::OpenedSource> source;
  std::vector<bool> vm_checked; // per inventory VM
  std::vector<flow::TargetCandidate> targets;
  std::string target;       // the chosen candidate's path
  std::string confirm_wipe; // the target's path once its name was typed
  plan::KickstartChoices ks;
  std::optional<plan::RescuePlan> plan;
  std::string plan_saved_to;
  std::optional<flow::CopyOutcome> copy;
  std::string copy_error;
  std::string ks_written_to;
  std::string ks_error;
  std::string next_steps;
  std::string summary; // the Done screen's text, printed again after the wizard
  std::shared_ptr<SessionLog> log = std::make_shared<SessionLog>(); // off unless opts.log
  std::string log_on_target;      // where the copy left the session log on the target
  std::optional<WizardLock> lock; // taken when the work on the disks begins
  // The network target (the Target screen's last row): how that host is
  // reached, once its host key was confirmed; the password stays in
  // memory only. Set: no New host and no Kickstart screen, the Remote
  // restore screen instead.
  std::optional<flow::RemoteChoice> remote;
  plan::NetworkChoice net;               // what the Network screen set up
  std::vector<std::string> remote_notes; // where the run goes there, and why
  std::string restore_output;            // the restore's last run there (dry or real)
  int restore_exit = -1;
  bool restored = false;        // the restore ran for real
  bool restore_skipped = false; // the user went on without it
};

// The boot verdict in a few plain words: "boots (BIOS)", "does not boot",
// "boot unknown", "no boot loader".
std::string boot_words(const disk::Disk &d);
// PATH in exactly WIDTH columns; a longer one keeps its end: "...story.img".
std::string path_cell(const std::string &path, std::size_t width);
// One line for the Disks screen: path, model, size, table, boot verdict,
// damage and a failing SMART verdict.
std::string disk_row(const disk::Disk &d);

// Where the session log is, for the summary: on the target when the copy
// put it there, else only here (in RAM on the rescue medium). Empty when
// there is no log.
std::string session_log_words(const WizardState &s);

// The disks ticked as the old host's.
std::vector<disk::Disk> chosen_sources(const WizardState &s);

// Disks offered as the old host: not the target, not blank, readable,
// not the rescue medium (a DVD drive, the stick labelled KVMRESCUE).
std::vector<bool> default_sources(const std::vector<disk::Disk> &disks, const std::string &target);

// Ready VMs (and those with warnings) are ticked; not-ready ones are not.
std::vector<bool> default_vm_selection(const scan::HostInventory &inv);

// One line for the VMs screen: name, autostart, vCPUs/RAM, disks
// (virtual/allocated, chain depth), NVRAM, readiness, guest OS.
std::string vm_row(const scan::VmInfo &vm);

struct VmTotals {
  std::size_t vms = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t allocated = 0;
};
VmTotals totals(const scan::HostInventory &inv, const std::vector<bool> &checked);
std::vector<std::string> chosen_vms(const scan::HostInventory &inv,
                                    const std::vector<bool> &checked);
// What every plan is made from: the ticked VMs (not-ready ones too: the
// user ticked them knowingly) and the backend.
plan::PlanChoices plan_choices(const WizardState &s);

// Whether TYPED confirms wiping the disk at PATH: its path, its name
// without /dev/, or its model, ignoring surrounding spaces.
bool confirms_wipe(const std::string &typed, const std::string &path, const std::string &model);

// Why OS_DISK cannot be the new OS disk (it is a source disk or the target
// data disk, by path or by-id name), or nothing. An empty name is refused.
std::optional<std::string> os_disk_problem(const std::string &os_disk,
                                           const std::vector<disk::Disk> &all,
                                           const std::vector<bool> &is_source,
                                           const std::string &target);

// The by-id names a user may pick as the OS disk: every disk that is not
// a source or the target and has one.
std::vector<std::string> os_disk_choices(const std::vector<disk::Disk> &all,
                                         const std::vector<bool> &is_source,
                                         const std::string &target);

// The plan as the answer file at PATH holds it: a key file in the answer
// file's own directory named relative to it (plan::load_plan finds it
// there again, on whatever machine the stick is in).
plan::RescuePlan answer_file_plan(plan::RescuePlan p, const std::string &path);

// One line for the Network screen: name, link state, MAC, driver, the
// addresses ("no address").
std::string nic_row(const net::Nic &n);
// The ports with an address other than link-local, in words: "ens3
// 10.0.2.15/24"; "" when none has one.
std::string nic_addresses(const std::vector<net::Nic> &nics);

// What the Remote restore screen's choices add to the restore there.
std::string restore_choices_line(const plan::RestoreChoices &c);
// The renames chosen there, or what r does.
std::string renames_line(const plan::RestoreChoices &c);

// "12.3 GiB of 40.0 GiB" style progress, the bar of WIDTH cells.
std::string bar(std::uint64_t done, std::uint64_t total, int width);
// "1h02m", "3m05s", "12s"; "--" when unknown.
std::string duration_text(std::optional<double> seconds);

} // namespace kvmr::tui
