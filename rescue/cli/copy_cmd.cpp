// `kvm-rescue copy --plan plan.json [--confirm-wipe PATH] [--hash xxh3|sha256]
// [--retries N] [--json]`: executes a saved plan.
#include "rescue/access/old_host.hpp"
#include "rescue/cli/cancel_watch.hpp"
#include "rescue/cli/commands.hpp"
#include "rescue/cli/copy_run.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/password_prompt.hpp"
#include "rescue/cli/signals.hpp"
#include "rescue/flow/copy_flow.hpp"
#include "rescue/plan/plan_json.hpp"

#include <iostream>
#include <memory>

namespace kvmr::cli {
namespace {

struct CopyArgs {
  std::string plan;
  CopyFlags flags;
  bool password_stdin = false;
};

// A network target planned without an identity: its password, read or
// asked before anything is opened (and the signals held).
std::string password_for(const plan::RescuePlan &p, bool from_stdin) {
  if (p.target.kind != plan::TargetKind::remote) {
    if (from_stdin) {
      throw InputError("--password-stdin is for a plan with a network target (ssh://)");
    }
    return {};
  }
  return target_password(p.target.path, p.target.identity, from_stdin);
}

int run_copy(const CopyArgs &a) {
  try {
    const plan::RescuePlan p = plan::load_plan(a.plan);
    CopyFlags flags = a.flags;
    flags.ssh_password = password_for(p, a.password_stdin);
    HoldSignals hold;
    CancelWatch watch;
    const std::vector<disk::Disk> sources = flow::locate_sources(p);
    std::vector<std::string> paths;
    paths.reserve(sources.size());
    for (const auto &d : sources) {
      paths.push_back(d.path);
    }
    access::AccessOptions opts;
    opts.backend = access::parse_backend(p.backend);
    auto host = access::OldHost::open(paths, opts);
    watch.check();
    flags.plan_file = a.plan;
    return copy_plan(p, sources, *host, flags, watch);
  } catch (const flow::Refused &e) {
    std::cerr << "kvm-rescue copy: " << e.what() << '\n';
    return kExitUsage;
  } catch (const InputError &e) {
    std::cerr << "kvm-rescue copy: " << e.what() << '\n';
    return kExitUsage;
  }
}

} // namespace

void add_copy_flags(CLI::App &cmd, CopyFlags &f) {
  cmd.add_option("--confirm-wipe", f.confirm_wipe,
                 "The target device or image again: allows wiping it (new GPT, data "
                 "filesystem, OEMDRV)");
  cmd.add_option("--hash", f.hash, "Content hash: xxh3 (default, xxh3-128) or sha256")
      ->check(CLI::IsMember({"xxh3", "sha256"}));
  cmd.add_option("--retries", f.retries, "Passes over unreadable ranges after the first (1)")
      ->check(CLI::Range(0, 100));
  cmd.add_option("--max-rate", f.max_rate,
                 "Read the old disks at most this fast, bytes per second (K, M, G suffixes: "
                 "KiB, MiB, GiB); spares a failing disk")
      ->transform(CLI::AsSizeValue(false));
  cmd.add_flag("--json", f.json, "The report as one JSON document on stdout");
  cmd.add_flag("--restore", f.restore,
               "A network target (ssh://): after the copy, run the restore there (define the "
               "networks, pools, secrets, VMs and snapshots); without it only its --dry-run is "
               "shown");
  cmd.add_flag("--start", f.start,
               "A network target: start the VMs marked autostart too (when their memory fits "
               "the host's MemAvailable); the dry run says what would start");
  cmd.add_flag("--allow-emulation", f.allow_emulation,
               "With --restore: define the VMs as emulated (type qemu) where the host has no KVM");
  cmd.add_option("--rename", f.rename,
                 "A network target: the restore defines the rescued VM OLD as NEW (two words; "
                 "repeatable), beside a VM of the host with OLD's name or UUID (its UUID is kept "
                 "unless the host has it)")
      ->type_name("OLD NEW");
}

Runner add_copy(CLI::App &app) {
  auto args = std::make_shared<CopyArgs>();
  auto *cmd = app.add_subcommand(
      "copy", "Execute a rescue plan: copy every planned item to the target, verified, "
              "resumable. The old disks are only read.");
  cmd->add_option("--plan", args->plan, "The plan file (kvm-rescue plan -o plan.json)")->required();
  add_copy_flags(*cmd, args->flags);
  cmd->add_flag("--password-stdin", args->password_stdin,
                "A network target planned without --identity: read the login's password as one "
                "line from standard input (else it is asked on the terminal; never an argument)");
  return [args] { return run_copy(*args); };
}

} // namespace kvmr::cli
