// Screens 7-10: the review (the plan made and saved), the copy, the
// kickstart and the summary.
#include "rescue/flow/kickstart_flow.hpp"
#include "rescue/flow/remote_restore.hpp"
#include "rescue/flow/restore_on_disk.hpp"
#include "rescue/plan/plan_build.hpp"
#include "rescue/plan/plan_json.hpp"
#include "rescue/run/report.hpp"
#include "rescue/text/text.hpp"
#include "tui/copy_view.hpp"
#include "tui/screens.hpp"
#include "tui/task.hpp"
#include "tui/widgets.hpp"

#include "rescue/copy/atomic_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kvmr::tui {
namespace {

bool make_plan(Ui &ui, WizardState &s) {
  if (s.remote) {
    return plan_remote(ui, s);
  }
  plan::PlanChoices ch = plan_choices(s);
  ch.target_layout.el7_compatible = s.ks.dialect == "el7";
  ch.kickstart = s.ks;
  plan::RescuePlan p;
  const TaskResult r = run_task(ui, "Making the plan", 7, [&](Task &t) {
    t.set_status("listing every file to copy and sizing it...");
    p = flow::make_plan(*s.source, s.target, ch);
  });
  if (!r.ok) {
    if (!r.error.empty()) {
      message_box(ui, "Plan", "No plan: " + r.error);
    }
    return false;
  }
  ui.note(fmt::format("plan: {} VM(s) ({}), {} item(s) into {}", p.vms.size(),
                      fmt::join(p.vms, ", "), p.items.size(), p.target.path));
  s.plan = std::move(p);
  return true;
}

// The network target's part of the review: where on that host, and what
// happens there.
std::string remote_review(const WizardState &s) {
  const auto &p = *s.plan;
  std::string out = fmt::format("\nThe other KVM host: {} (host key {}), into {}\n", p.target.path,
                                p.target.host_key, p.layout.images_dir);
  for (const auto &n : s.remote_notes) {
    out += "  " + n + "\n";
  }
  out += "\nWhat will be written:\n";
  out += fmt::format("  the VMs' files under {} there (nothing of that host is overwritten)\n",
                     p.layout.images_dir);
  out += "  then the restore's dry run there; the VMs are defined only when you confirm it\n";
  out += "  the old host's disks: nothing, they are only read\n";
  return out;
}

std::string review_text(const WizardState &s) {
  const auto &p = *s.plan;
  std::string out = plan::render_plan(p);
  if (s.remote) {
    return out + remote_review(s);
  }
  out += "\nThe new host (kickstart):\n";
  out += fmt::format("  installs {} on {}, hostname {}\n", p.kickstart.dialect, p.kickstart.os_disk,
                     p.kickstart.hostname);
  for (const auto &[from, to] : p.kickstart.nic_map) {
    out += fmt::format("  NIC {} is {} on the new machine\n", from, to);
  }
  out += "\nWhat will be written:\n";
  if (!s.confirm_wipe.empty()) {
    out += fmt::format("  {} is WIPED: new GPT, {} data filesystem, OEMDRV partition\n",
                       p.target.path, p.target.fs_type);
  }
  out += fmt::format("  the VMs' files under {} (the target)\n", p.target.path);
  out += "  ks.cfg: to the OEMDRV volume or a file, on the Kickstart step\n";
  out += "  the old host's disks: nothing, they are only read\n";
  return out;
}

// The plan saved where the user says, as an answer file.
void save_answer_file(Ui &ui, WizardState &s) {
  const std::string dflt = s.opts.answer_dir + "/kvm-rescue-plan.json";
  if (auto path = ask_text(ui, "Save the answer file",
                           "Where to save the plan (replay it with 'kvm-rescue wizard "
                           "--replay FILE'):",
                           s.plan_saved_to.empty() ? dflt : s.plan_saved_to)) {
    try {
      plan::save_plan(answer_file_plan(*s.plan, *path), *path);
      s.plan_saved_to = *path;
      ui.note("answer file saved to " + *path);
    } catch (const std::exception &e) {
      message_box(ui, "Not saved", e.what());
    }
  }
}

} // namespace

Nav screen_review(Ui &ui, WizardState &s) {
  if (!s.plan && !make_plan(ui, s)) {
    return Nav::back;
  }
  TextView view;
  view.set_text(review_text(s));
  const std::string shortfall = plan::space_shortfall(*s.plan);
  for (;;) {
    if (ui.frame("Review", 7,
                 "Enter: start the copy  s: save answer file  Esc: back  ?: help  q: quit")) {
      view.draw(ui, 2, ui.rows() - 5);
      if (!shortfall.empty()) {
        ui.put(ui.rows() - 3, 1, shortfall, Role::warning);
      } else if (!s.plan_saved_to.empty()) {
        ui.put(ui.rows() - 3, 1, "Answer file saved to " + s.plan_saved_to, Role::good);
      }
      ui.put(ui.rows() - 2, 1, "Nothing has been written yet.", Role::dim);
    }
    ui.refresh();
    const Key k = ui.key();
    if (view.handle(k, ui.rows() - 5)) {
      continue;
    }
    if (k == 's') {
      save_answer_file(ui, s);
    } else if (k == kEnter) {
      if (!shortfall.empty()) {
        message_box(ui, "Does not fit", shortfall);
        continue;
      }
      const std::string q =
          s.remote ? fmt::format("Copy {} VM(s) to {} (into {}) now?", s.plan->vms.size(),
                                 s.plan->target.path, s.plan->layout.images_dir)
          : s.confirm_wipe.empty()
              ? fmt::format("Copy {} VM(s) into {} now?", s.plan->vms.size(), s.plan->target.path)
              : fmt::format("Wipe {} and copy {} VM(s) onto it now?", s.plan->target.path,
                            s.plan->vms.size());
      if (ask_yes_no(ui, "Start", q)) {
        return Nav::next;
      }
    } else if (k == kEsc) {
      return Nav::back;
    } else if (const auto n = common_key(
                   ui, k, "Review",
                   "Everything the copy will do, and where. s saves this plan as an answer "
                   "file: 'kvm-rescue wizard --replay FILE' or 'kvm-rescue copy --plan FILE' "
                   "runs it again without questions. Enter starts the copy.")) {
      return *n;
    }
  }
}

namespace {

// What the copy tells the wizard while it runs: progress to the view,
// notes and each item's end to the task's status and the session log,
// and at the end the session log copied beside the report on the target.
flow::CopyHooks copy_hooks(Task &t, WizardState &s, CopyView &view) {
  flow::CopyHooks hooks;
  hooks.progress = &view;
  hooks.note = [&t, &s](const std::string &n) {
    t.set_status(n);
    s.log->line("copy: " + n);
  };
  hooks.finished = [&s](const std::string &report_dir) {
    // The session log joins the report while the target is mounted.
    std::string why;
    if (s.log->on()) {
      s.log->line("the session log is copied to the target's kvm-rescue directory");
      if (s.log->copy_to(report_dir, why)) {
        s.log_on_target = "kvm-rescue/session.log on " + s.plan->target.path;
      } else {
        s.log->line("the session log could not go onto the target: " + why);
      }
    }
  };
  hooks.item_begin = [&view](const plan::PlanItem &i, const std::string &) { view.item_begin(i); };
  hooks.item_end = [&view, &s](const plan::PlanItem &i, const run::ManifestItem &m) {
    view.item_end(i, m);
    const std::uint64_t bad = run::bad_bytes_of(m);
    s.log->line(fmt::format("copied {} ({}): {} bytes, {}{}", i.dest, i.vm.empty() ? "host" : i.vm,
                            m.size, m.verified ? "verified" : "NOT verified",
                            bad != 0 ? fmt::format(", {} bytes unreadable", bad) : ""));
  };
  return hooks;
}

// The size column: done/total.
std::string sizes(std::uint64_t done, std::uint64_t total) {
  return fmt::format("{:>7}/{:<9}", text::short_size(done), text::human_size(total));
}

// The copy's screen while it runs: a bar per VM, the overall bar, rate,
// ETA and what could not be read.
void draw_copy(Ui &u, const Task &t, const WizardState &s, const CopyView &view) {
  const CopyView::Snapshot v = view.snapshot();
  const int w = u.cols();
  int r = 2;
  u.put(r++, 1, fmt::format("Into {}   ({})", s.plan->target.path, t.status()));
  ++r;
  for (const auto &row : v.rows) {
    if (r >= u.rows() - 6) {
      break;
    }
    const std::string name = row.vm.empty() ? "(host files)" : row.vm;
    u.put(r, 1, text::fit(name, 18));
    u.put(r, 20, bar(row.done, row.total, w - 40), row.finished ? Role::good : Role::normal);
    u.put(r, w - 19, sizes(row.done, row.total));
    ++r;
  }
  const int b = u.rows() - 5;
  u.put(b, 1, "Overall", Role::title);
  u.put(b, 20, bar(v.done, v.total, w - 40));
  u.put(b, w - 19, sizes(v.done, v.total));
  u.put(b + 1, 1,
        fmt::format("{} {}   rate {}/s   ETA {}", v.phase, v.item,
                    text::human_size(static_cast<std::uint64_t>(v.rate)), duration_text(v.eta)));
  u.put(b + 2, 1,
        fmt::format("unreadable: {}",
                    v.bad_bytes == 0 ? std::string("none")
                                     : text::human_size(v.bad_bytes) + " (zero-filled, mapped)"),
        v.bad_bytes == 0 ? Role::good : Role::warning);
}

// One run of the copy on a worker thread, drawn as it goes; Esc asks
// whether to stop it.
TaskResult run_copy(Ui &ui, WizardState &s, flow::CopyOutcome &outcome) {
  CopyView view(*s.plan);
  const std::vector<disk::Disk> sources = chosen_sources(s);
  return run_task(
      ui, "Copying", 8,
      [&](Task &t) {
        flow::CopyRequest req;
        req.confirm_wipe = s.confirm_wipe;
        req.max_rate = s.opts.max_rate;
        req.cancel = &t.cancel;
        if (s.remote) {
          // The dry run at the end of the copy; a replay restores for real.
          req.ssh_password = s.remote->password;
          req.restore = !s.opts.replay.empty();
          req.restore_options = flow::restore_options(s.plan->restore);
        }
        req.checkpoint = [&t] { t.checkpoint(); };
        outcome = flow::run_copy(*s.plan, sources, *s.source->host, req, copy_hooks(t, s, view));
      },
      [&](Ui &u, const Task &t) { draw_copy(u, t, s, view); },
      "Stop the copy? What is copied stays; starting it again resumes where it stopped.");
}

// The copy did not run: unattended, the summary says why; else a pop-up
// does and the wizard goes back to the review.
Nav copy_not_run(Ui &ui, WizardState &s, const TaskResult &res) {
  const std::string why =
      res.cancelled ? "Stopped before the copy began." : "The copy could not run: " + res.error;
  if (!s.opts.replay.empty()) {
    s.copy_error = why; // unattended: no box waits for a key; the summary says it
    return Nav::quit;
  }
  message_box(ui, "Copy", why);
  return Nav::back;
}

// After the user stopped the copy: nothing to resume, or where to go.
std::optional<Nav> after_stop(Ui &ui) {
  for (;;) {
    if (ui.frame("Copy stopped", 8, "Enter: resume  Esc: back to the review  q: quit")) {
      ui.put(2, 1, "The copy stopped cleanly: finished files are in place, the rest");
      ui.put(3, 1, "is kept as .partial with its map. Enter resumes where it stopped.");
    }
    ui.refresh();
    const Key k = ui.key();
    if (k == kEnter) {
      return std::nullopt;
    }
    if (k == kEsc) {
      return Nav::back;
    }
    if (const auto n = common_key(ui, k, "Copy", "Enter resumes the copy.")) {
      return *n;
    }
  }
}

} // namespace

Nav screen_copy(Ui &ui, WizardState &s) {
  for (;;) {
    flow::CopyOutcome outcome;
    const TaskResult res = run_copy(ui, s, outcome);
    if (res.signalled) {
      return Nav::stop;
    }
    if (!res.ok) {
      return copy_not_run(ui, s, res);
    }
    s.copy = std::move(outcome);
    ui.note(fmt::format("copy: {} (exit {}); report in {}/kvm-rescue on the target",
                        s.copy->cancelled ? "stopped" : "finished", s.copy->exit_code,
                        s.plan->layout.images_dir));
    if (!s.copy->cancelled) {
      return Nav::next;
    }
    if (const auto n = after_stop(ui)) {
      return *n;
    }
  }
}

Nav screen_kickstart(Ui &ui, WizardState &s) {
  const auto &p = *s.plan;
  const bool has_oemdrv = p.target.kind != plan::TargetKind::directory && p.target.oemdrv;
  std::string file = s.opts.answer_dir + "/ks.cfg";
  bool to_oemdrv = has_oemdrv;
  for (;;) {
    if (ui.frame("Kickstart", 9,
                 "Enter: write  Space: OEMDRV or file  f: file name  Esc: back  ?: help")) {
      ui.put(2, 1, "The kickstart that reinstalls the host and brings every VM back.");
      ui.put(4, 3,
             fmt::format("{} Write ks.cfg to the OEMDRV volume on {}{}", to_oemdrv ? "(*)" : "( )",
                         p.target.path, has_oemdrv ? "" : " (none there)"));
      ui.put(5, 3, fmt::format("{} Write it to the file {}", to_oemdrv ? "( )" : "(*)", file));
      ui.put(7, 3,
             fmt::format("Installs {} on {}; the VMs' disk is mounted untouched.",
                         p.kickstart.dialect, p.kickstart.os_disk));
    }
    ui.refresh();
    const Key k = ui.key();
    if (k == kSpace || k == kUp || k == kDown) {
      to_oemdrv = has_oemdrv && !to_oemdrv;
    } else if (k == 'f') {
      if (auto f = ask_text(ui, "Kickstart file", "Write ks.cfg to:", file)) {
        file = *f;
        to_oemdrv = false;
      }
    } else if (k == kEnter) {
      try {
        const flow::KickstartOutput ks = flow::make_kickstart(p, {});
        if (to_oemdrv) {
          s.ks_written_to =
              "the OEMDRV volume on " + flow::write_to_oemdrv(p.target.path, p, ks.text);
        } else {
          copy::write_file_atomic(file, ks.text);
          s.ks_written_to = file;
        }
        s.next_steps = flow::next_steps(ks.profile, to_oemdrv);
        ui.note("kickstart: ks.cfg written to " + s.ks_written_to);
        std::string text = "ks.cfg written to " + s.ks_written_to + ".\n\n";
        for (const auto &w : ks.profile.warnings) {
          text += "warning: " + w + "\n";
        }
        message_box(ui, "Kickstart written", text + s.next_steps);
        return Nav::next;
      } catch (const std::exception &e) {
        message_box(ui, "No kickstart", e.what());
      }
    } else if (k == kEsc) {
      return Nav::back;
    } else if (const auto n = common_key(
                   ui, k, "Kickstart",
                   "On an OEMDRV volume the CentOS 7 installer (7.2 and later) finds ks.cfg by "
                   "itself; in a file, put it on a USB stick labelled OEMDRV or give "
                   "inst.ks=... on the installer's boot line.")) {
      return *n;
    }
  }
}

Nav auto_kickstart(Ui &ui, WizardState &s) {
  const auto &p = *s.plan;
  ui.frame("Kickstart", 9, "");
  ui.put(2, 1, "Writing the kickstart...");
  ui.refresh();
  try {
    const flow::KickstartOutput ks = flow::make_kickstart(p, {});
    const bool oemdrv = p.target.kind != plan::TargetKind::directory && p.target.oemdrv;
    if (oemdrv) {
      s.ks_written_to = "the OEMDRV volume on " + flow::write_to_oemdrv(p.target.path, p, ks.text);
    } else {
      const std::string file = s.opts.answer_dir + "/ks.cfg";
      copy::write_file_atomic(file, ks.text);
      s.ks_written_to = file;
    }
    s.next_steps = flow::next_steps(ks.profile, oemdrv);
    ui.note("kickstart: ks.cfg written to " + s.ks_written_to);
  } catch (const std::exception &e) {
    s.ks_error = e.what();
    ui.note("kickstart: none written: " + s.ks_error);
  }
  return Nav::next;
}

namespace {

std::string remote_done_text(const WizardState &s) {
  const auto &p = *s.plan;
  const std::string state = p.layout.images_dir + "/" + p.layout.state_dir;
  std::string out = fmt::format("\nThe report is also on {}: {}/report.txt and report.json.\n",
                                p.target.path, state);
  if (s.restored) {
    out += fmt::format("\nThe restore there (exit {}):\n{}", s.restore_exit, s.restore_output);
  } else {
    const std::string script = flow::restore_script_on_host(p);
    out += fmt::format("\nThe VMs are NOT defined on that host yet. To do it later, there, as "
                       "root:\n  {} --dry-run    (what it would do)\n  {}\n",
                       script, script);
    if (!s.restore_output.empty()) {
      out += "\nThe restore's last output:\n" + s.restore_output;
    }
  }
  return out;
}

} // namespace

Nav screen_done(Ui &ui, WizardState &s) {
  TextView view;
  std::string text;
  if (s.copy) {
    text += s.copy->report_text;
  }
  if (s.remote) {
    text += remote_done_text(s);
  } else {
    text += "\nThe report is also on the target: kvm-rescue/report.txt and report.json.\n";
  }
  if (!s.plan_saved_to.empty()) {
    text += "Answer file: " + s.plan_saved_to + "\n";
  }
  if (!s.ks_written_to.empty()) {
    text += "Kickstart: " + s.ks_written_to + "\n\n" + s.next_steps;
  }
  if (!s.ks_error.empty()) {
    text += "No kickstart was written: " + s.ks_error +
            "\n(write it with 'kvm-rescue kickstart --plan FILE')\n";
  }
  text += session_log_words(s);
  s.summary = text;
  view.set_text(text);
  if (!s.opts.replay.empty()) {
    return Nav::next; // unattended: the summary is printed when the screen is gone
  }
  for (;;) {
    if (ui.frame("Done", 10, "Arrows: scroll  Enter/q: leave the wizard")) {
      view.draw(ui, 2, ui.rows() - 3);
    }
    ui.refresh();
    const Key k = ui.key();
    if (k == kStop) {
      return Nav::stop;
    }
    if (k == kEnter || k == 'q' || k == kEsc) {
      return Nav::next;
    }
    view.handle(k, ui.rows() - 3);
  }
}

} // namespace kvmr::tui
