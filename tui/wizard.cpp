// The wizard's sequence of screens (see wizard.hpp).
#include "tui/wizard.hpp"

#include "rescue/flow/copy_flow.hpp"
#include "rescue/net/bring_up.hpp"
#include "rescue/plan/plan_json.hpp"
#include "rescue/util/command.hpp"
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
  if (!s.copy || s.copy->cancelled) {
    return kExitLeft;
  }
  if (s.remote) {
    if (!s.restored && !s.restore_skipped) {
      return kExitLeft;
    }
    return s.copy->exit_code == 0 && (s.restore_skipped || s.restore_exit == 0) ? 0 : 1;
  }
  if (s.ks_written_to.empty()) {
    return kExitLeft;
  }
  return s.copy->exit_code == 0 ? 0 : 1;
}

// The network target has no new host to install and no kickstart: the
// restore on that host takes their place. Nothing: skipped.
Screen for_target(Screen screen, const WizardState &s) {
  if (!s.remote) {
    return screen;
  }
  if (screen == screen_new_host) {
    return nullptr;
  }
  return screen == screen_kickstart ? screen_remote_restore : screen;
}

// A replay that cannot go on: no box waits for a key (nobody may be
// there); the summary printed after the screen says why.
void replay_failed(Ui &ui, WizardState &s, const std::string &why) {
  ui.note("replay: " + why);
  s.summary = fmt::format("kvm-rescue wizard --replay {}: {}\nNothing was copied by this run.\n",
                          s.opts.replay, why) +
              session_log_words(s);
}

// A replay onto another host: the network port brought up as it was in
// the wizard that saved the answer file (nothing when it was up already).
// Throws naming the port and the step when it fails.
void replay_network(const plan::NetworkChoice &n) {
  if (n.method.empty()) {
    return;
  }
  SystemCommandRunner runner;
  net::UpResult up;
  if (n.method == "dhcp") {
    up = net::bring_up_dhcp(n.nic, runner);
  } else {
    const auto nics = net::list_nics(runner);
    up = net::bring_up_static(net::parse_static(nics, n.nic, n.address, n.gateway, n.dns), runner);
  }
  if (!up.ok) {
    throw InputError("the network: " + up.error);
  }
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
    if (s.plan->target.kind == plan::TargetKind::remote) {
      t.set_status("bringing up the network as the answer file says...");
      replay_network(s.plan->target.network);
    }
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
  if (s.plan->target.kind == plan::TargetKind::remote) {
    const auto &t = s.plan->target;
    s.remote = flow::RemoteChoice{t.path, {t.host_key, t.known_hosts}, t.identity, ""};
  }
  s.confirm_wipe = s.opts.confirm_wipe;
  s.ks = s.plan->kickstart;
  s.plan_saved_to = s.opts.replay;
  return true;
}

int replay(Ui &ui, WizardState &s) {
  if (!open_replay(ui, s)) {
    return kExitLeft;
  }
  const std::array<Screen, 3> steps{screen_copy, s.remote ? auto_restore : auto_kickstart,
                                    screen_done};
  for (const Screen step : steps) {
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
  bool forward = true;
  while (at < kScreens.size()) {
    const Screen screen = for_target(kScreens[at], s);
    const Nav n = screen != nullptr ? screen(ui, s) : forward ? Nav::next : Nav::back;
    forward = n == Nav::next;
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
