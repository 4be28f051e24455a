// The wizard's sequence of screens (see wizard.hpp).
#include "tui/wizard.hpp"

#include "rescue/flow/copy_flow.hpp"
#include "rescue/plan/plan_json.hpp"
#include "tui/screens.hpp"
#include "tui/task.hpp"
#include "tui/ui.hpp"
#include "tui/widgets.hpp"

#include <fmt/format.h>

#include <array>
#include <iostream>

namespace kvmr::tui {
namespace {

constexpr int kExitLeft = 130; // left before the end, like Ctrl-C

using Screen = Nav (*)(Ui &, WizardState &);

int outcome_code(const WizardState &s) {
  if (!s.copy || s.copy->cancelled || s.ks_written_to.empty()) {
    return kExitLeft;
  }
  return s.copy->exit_code == 0 ? 0 : 1;
}

// A replay that cannot go on: no box waits for a key (nobody may be
// there); the summary printed after the screen says why.
void replay_failed(Ui &ui, WizardState &s, const std::string &why) {
  ui.note("replay: " + why);
  s.summary = fmt::format("kvm-rescue wizard --replay {}: {}\nNothing was copied by this run.\n",
                          s.opts.replay, why) +
              session_log_words(s);
}

// The answer file's sources found again and opened, for a replay.
bool open_replay(Ui &ui, WizardState &s) {
  std::string holder;
  s.lock = WizardLock::take(holder);
  if (!s.lock) {
    replay_failed(ui, s, "another kvm-rescue wizard works on the disks (" + holder + ")");
    return false;
  }
  std::unique_ptr<flow::OpenedSource> opened;
  std::vector<disk::Disk> located;
  const TaskResult r = run_task(ui, "Replaying " + s.opts.replay, 3, [&](Task &t) {
    t.set_status("reading the answer file and finding its disks...");
    s.plan = plan::load_plan(s.opts.replay);
    located = flow::locate_sources(*s.plan);
    std::vector<std::string> paths;
    paths.reserve(located.size());
    for (const auto &d : located) {
      paths.push_back(d.path);
    }
    t.set_status("opening the old host read-only...");
    opened = std::make_unique<flow::OpenedSource>(
        flow::open_source(paths, s.plan->backend, [&t] { t.checkpoint(); }));
  });
  if (!r.ok) {
    if (!r.signalled) {
      replay_failed(ui, s,
                    r.cancelled ? "stopped before the copy began"
                                : "the answer file cannot be replayed: " + r.error);
    }
    return false;
  }
  ui.note(fmt::format("replay: {} opened; {} VM(s) into {}", s.opts.replay, s.plan->vms.size(),
                      s.plan->target.path));
  s.disks = std::move(located);
  s.source_checked.assign(s.disks.size(), true);
  s.source = std::move(opened);
  s.target = s.plan->target.path;
  s.confirm_wipe = s.opts.confirm_wipe;
  s.ks = s.plan->kickstart;
  s.plan_saved_to = s.opts.replay;
  return true;
}

int replay(Ui &ui, WizardState &s) {
  if (!open_replay(ui, s)) {
    return kExitLeft;
  }
  static constexpr std::array<Screen, 3> kSteps{screen_copy, auto_kickstart, screen_done};
  for (const Screen step : kSteps) {
    if (step(ui, s) != Nav::next) {
      if (!s.copy_error.empty()) {
        replay_failed(ui, s, s.copy_error);
      }
      return outcome_code(s);
    }
  }
  return outcome_code(s);
}

int screens(Ui &ui, WizardState &s) {
  if (!s.opts.replay.empty()) {
    return replay(ui, s);
  }
  static constexpr std::array<Screen, 10> kScreens{
      screen_welcome,  screen_disks,  screen_old_host, screen_vms,       screen_target,
      screen_new_host, screen_review, screen_copy,     screen_kickstart, screen_done};
  std::size_t at = 0;
  while (at < kScreens.size()) {
    const Nav n = kScreens[at](ui, s);
    switch (n) {
    case Nav::next: ++at; break;
    case Nav::back:
      if (at == 0) {
        return kExitLeft;
      }
      --at;
      break;
    case Nav::quit:
    case Nav::stop: return outcome_code(s);
    }
  }
  return outcome_code(s);
}

} // namespace

int run_wizard(const WizardOptions &opts, const std::atomic<bool> &stop) {
  WizardState s;
  s.opts = opts;
  s.log = std::make_shared<SessionLog>(opts.log); // throws naming the file
  s.log->line(fmt::format("kvm-rescue wizard started ({}){}", describe_this_wizard(),
                          opts.replay.empty() ? "" : ", replaying " + opts.replay));
  int code = kExitLeft;
  {
    Ui ui(stop);
    ui.set_journal([log = s.log](const std::string &t) { log->line(t); });
    code = screens(ui, s);
  }
  s.log->line(fmt::format("kvm-rescue wizard ended, exit {}", code));
  // What the person needs after the screen is gone stays on the terminal.
  if (!s.summary.empty()) {
    std::cout << s.summary;
  } else if (code == kExitLeft) {
    std::cout << "kvm-rescue wizard: left before the end; nothing more was written.\n"
              << session_log_words(s);
  }
  return code;
}

} // namespace kvmr::tui
