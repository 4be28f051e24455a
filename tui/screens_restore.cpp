// Screen 9 for the network target: the restore on the other KVM host. The
// copy ran its dry run there; this screen shows it, lets the user choose
// (start the autostart VMs, allow emulation, rename a VM whose name that
// host already has; each choice runs the dry run again), and runs the
// restore for real only after a yes. The choices join the answer file
// when one was saved, so a replay does the same unattended.
#include "rescue/flow/remote_restore.hpp"
#include "rescue/plan/plan_json.hpp"
#include "tui/screens.hpp"
#include "tui/task.hpp"
#include "tui/widgets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace kvmr::tui {
namespace {

constexpr int kStep = 9;

bool copy_complete(const WizardState &s) {
  return s.copy && s.copy->report.totals.failed == 0 && s.copy->report.totals.pending == 0;
}

// The restore there, dry or real, on a worker thread. False when a signal
// came.
bool run_restore(Ui &ui, WizardState &s, bool real) {
  flow::RestoreRequest req;
  req.real = real;
  req.copy_complete = copy_complete(s);
  req.options = flow::restore_options(s.plan->restore);
  flow::RestoreOutcome out;
  const TaskResult r = run_task(ui, "Remote restore", kStep, [&](Task &t) {
    t.set_status(real ? "defining the VMs on " + s.plan->target.path + "..."
                      : "asking " + s.plan->target.path + " what the restore would do...");
    out = flow::restore_on_remote(*s.plan, req, s.remote ? s.remote->password : "");
  });
  if (!r.ok) {
    out.output = "The restore could not run: " + r.error + "\n";
    out.exit_code = 255;
  }
  s.restore_output = out.output;
  s.restore_exit = out.exit_code;
  s.restored = real && r.ok && req.copy_complete;
  ui.note(fmt::format("restore on {}: {} (exit {})", s.plan->target.path,
                      real ? "run for real" : "dry run", out.exit_code));
  return !r.signalled;
}

// The answer file gets the choices, when one was saved.
void keep_choices(Ui &ui, WizardState &s) {
  if (s.plan_saved_to.empty()) {
    return;
  }
  try {
    plan::save_plan(answer_file_plan(*s.plan, s.plan_saved_to), s.plan_saved_to);
  } catch (const std::exception &e) {
    ui.note(std::string("the answer file kept the old restore choices: ") + e.what());
  }
}

// r: a rescued VM defined under another name there (an empty name undoes it).
void ask_rename(Ui &ui, WizardState &s) {
  auto &renames = s.plan->restore.renames;
  const auto from = ask_text(ui, "Rename",
                             fmt::format("Which rescued VM gets another name on that host? "
                                         "({})",
                                         fmt::join(s.plan->vms, ", ")));
  if (!from) {
    return;
  }
  if (std::find(s.plan->vms.begin(), s.plan->vms.end(), *from) == s.plan->vms.end()) {
    message_box(ui, "Rename", fmt::format("'{}' is not one of the rescued VMs.", *from));
    return;
  }
  const auto to = ask_text(ui, "Rename", fmt::format("New name for {} (empty: keep it):", *from));
  if (!to) {
    return;
  }
  std::erase_if(renames, [&](const plan::RestoreRename &r) { return r.from == *from; });
  if (!to->empty()) {
    renames.push_back({*from, *to});
  }
}

void draw_restore(Ui &ui, const WizardState &s, const TextView &view) {
  const std::string keys = s.restored ? "Enter: go on  Arrows: scroll"
                                      : "Enter: restore now  s/e/r: choices  n: not now  Esc: back";
  if (!ui.frame("Remote restore", kStep, keys)) {
    return;
  }
  const std::string where = fmt::format("{} in {}", s.plan->target.path, s.plan->layout.images_dir);
  if (s.restored) {
    ui.put(2, 1, fmt::format("Restored (exit {}) on {}: its report.", s.restore_exit, where),
           s.restore_exit == 0 ? Role::good : Role::warning);
  } else {
    ui.put(2, 1, "Dry run, nothing defined yet: what the restore would do on " + where);
  }
  view.draw(ui, 3, ui.rows() - 6);
  if (!s.restored) {
    ui.put(ui.rows() - 3, 1, restore_choices_line(s.plan->restore), Role::highlight);
    ui.put(ui.rows() - 2, 1, renames_line(s.plan->restore),
           s.plan->restore.renames.empty() ? Role::dim : Role::highlight);
  }
}

// Enter before the real run: the question, then the run. True when it ran.
bool confirm_and_restore(Ui &ui, WizardState &s, bool &stopped) {
  const auto &c = s.plan->restore;
  if (!copy_complete(s)) {
    message_box(ui, "Remote restore",
                "Some items were not copied: the VMs are not defined over an incomplete copy. "
                "Go back (Esc) to run the copy again, or n to leave it.");
    return false;
  }
  const std::string q =
      fmt::format("Define the {} rescued VM(s) on {} now{}{}?", s.plan->vms.size(),
                  s.plan->target.path, c.start ? ", and start the autostart ones" : "",
                  c.allow_emulation ? ", EMULATED (no KVM there: much slower)" : "");
  if (!ask_yes_no(ui, "Restore", q)) {
    return false;
  }
  stopped = !run_restore(ui, s, true);
  keep_choices(ui, s);
  return true;
}

} // namespace

Nav screen_remote_restore(Ui &ui, WizardState &s) {
  if (s.restore_output.empty()) {
    s.restore_output = s.copy ? s.copy->restore_output : "";
    s.restore_exit = s.copy ? s.copy->restore_exit : -1;
  }
  TextView view;
  view.set_text(s.restore_output);
  for (;;) {
    draw_restore(ui, s, view);
    ui.refresh();
    const Key k = ui.key();
    if (view.handle(k, ui.rows() - 6)) {
      continue;
    }
    if (s.restored && (k == kEnter || k == 'n')) {
      return Nav::next;
    }
    bool again = false;
    bool stopped = false;
    if (k == kEnter && !s.restored) {
      confirm_and_restore(ui, s, stopped);
      view.set_text(s.restore_output);
    } else if (k == 's' && !s.restored) {
      s.plan->restore.start = !s.plan->restore.start;
      again = true;
    } else if (k == 'e' && !s.restored) {
      s.plan->restore.allow_emulation = !s.plan->restore.allow_emulation;
      again = true;
    } else if (k == 'r' && !s.restored) {
      ask_rename(ui, s);
      again = true;
    } else if (k == 'n') {
      if (ask_yes_no(ui, "Not now",
                     "Leave the VMs undefined on that host for now? The restore script stays "
                     "there beside the copy (kvm-rescue/); the Done screen says how to run it.")) {
        s.restore_skipped = true;
        return Nav::next;
      }
    } else if (k == kEsc && !s.restored) {
      return Nav::back;
    } else if (const auto n = common_key(
                   ui, k, "Remote restore",
                   "The restore adapts each VM to that host (emulator, machine type, firmware, "
                   "CPU) and never touches what the host already has: a VM whose name is taken "
                   "there is refused unless you rename it (r). s also starts the autostart VMs "
                   "once defined, when their memory fits. e defines them emulated on a host "
                   "without KVM (much slower). Each choice runs the dry run again.")) {
      return *n;
    }
    if (again) {
      keep_choices(ui, s);
      stopped = !run_restore(ui, s, false);
      view.set_text(s.restore_output);
    }
    if (stopped) {
      return Nav::stop;
    }
  }
}

Nav auto_restore(Ui &ui, WizardState &s) {
  // A replay's copy ran the restore for real at its end, with the answer
  // file's choices (screens_run.cpp, run_copy).
  s.restore_output = s.copy ? s.copy->restore_output : "";
  s.restore_exit = s.copy ? s.copy->restore_exit : -1;
  s.restored = s.restore_exit != -1 && copy_complete(s);
  ui.note(fmt::format("restore on {}: exit {}", s.plan->target.path, s.restore_exit));
  return Nav::next;
}

} // namespace kvmr::tui
