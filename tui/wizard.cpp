// The wizard's sequence of screens (see wizard.hpp).
#include "tui/wizard.hpp"

#include "rescue/flow/copy_flow.hpp"
#include "rescue/plan/plan_json.hpp"
#include "tui/screens.hpp"
#include "tui/task.hpp"
#include "tui/ui.hpp"
#include "tui/widgets.hpp"

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

// The answer file's sources found again and opened, for a replay.
bool open_replay(Ui &ui, WizardState &s) {
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
    if (!r.signalled && !r.cancelled) {
      message_box(ui, "Replay", "The answer file cannot be replayed: " + r.error);
    }
    return false;
  }
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
  int code = kExitLeft;
  {
    Ui ui(stop);
    code = screens(ui, s);
  }
  // What the person needs after the screen is gone stays on the terminal.
  if (!s.summary.empty()) {
    std::cout << s.summary;
  } else if (code == kExitLeft) {
    std::cout << "kvm-rescue wizard: left before the end; nothing more was written.\n";
  }
  return code;
}

} // namespace kvmr::tui
