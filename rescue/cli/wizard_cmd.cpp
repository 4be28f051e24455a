// `kvm-rescue wizard [DEVICE|IMAGE...] [--target T] [--replay plan.json]`:
// the guided flow on a terminal (tui/). Also what `kvm-rescue` with no
// arguments does on a terminal. SIGINT, SIGTERM and SIGHUP are held and
// watched, so the wizard leaves cleanly and releases what it attached.
#include "rescue/cli/cancel_watch.hpp"
#include "rescue/cli/commands.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/signals.hpp"
#include "rescue/util/error.hpp"
#include "tui/wizard.hpp"

#include <iostream>
#include <memory>
#include <unistd.h>

namespace kvmr::cli {

int run_wizard(const tui::WizardOptions &opts) {
  if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1) {
    std::cerr << "kvm-rescue wizard: needs a terminal on stdin and stdout; without one, use "
                 "the subcommands (kvm-rescue --help) or 'kvm-rescue copy --plan FILE'\n";
    return kExitUsage;
  }
  const char *term = std::getenv("TERM");
  if (term == nullptr || *term == '\0' || std::string(term) == "dumb") {
    std::cerr << "kvm-rescue wizard: TERM is not set (or 'dumb'): set it to your terminal, "
                 "e.g. TERM=linux on the console, TERM=vt220 on a serial line\n";
    return kExitUsage;
  }
  HoldSignals hold;
  CancelWatch watch;
  try {
    return tui::run_wizard(opts, watch.flag());
  } catch (const InputError &e) { // the session log cannot be opened
    std::cerr << "kvm-rescue wizard: " << e.what() << "\n";
    return kExitUsage;
  }
}

Runner add_wizard(CLI::App &app) {
  auto o = std::make_shared<tui::WizardOptions>();
  auto *cmd = app.add_subcommand(
      "wizard", "The guided rescue on a terminal: disks, old host, VMs, target, new host, "
                "review, copy, kickstart. The old disks are only read.");
  cmd->add_option("disks", o->disks,
                  "Only these disks or image files (default: every disk of this machine)");
  cmd->add_option("--target", o->target,
                  "Offer this directory, device or image file first as the target");
  cmd->add_option("--replay", o->replay,
                  "Run the copy and kickstart steps of this answer file, without questions");
  cmd->add_option("--confirm-wipe", o->confirm_wipe,
                  "With --replay: the answer file's target device or image may be prepared "
                  "(repeat its path)");
  cmd->add_option("--backend", o->backend, "auto (default), kernel or guestfs")
      ->check(CLI::IsMember({"auto", "kernel", "guestfs"}));
  cmd->add_option("--answer-dir", o->answer_dir,
                  "Where the answer file and a ks.cfg file are offered to be saved (default: .)");
  cmd->add_option("--max-rate", o->max_rate,
                  "Read the old disks at most this fast, bytes per second (K, M, G suffixes: "
                  "KiB, MiB, GiB); spares a failing disk")
      ->transform(CLI::AsSizeValue(false));
  cmd->add_option("--log", o->log,
                  "Append a session log (screens, answers, copy notes, results) to this file; "
                  "the copy puts a copy beside the report on the target");
  return [o] { return run_wizard(*o); };
}

} // namespace kvmr::cli
