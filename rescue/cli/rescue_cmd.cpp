// `kvm-rescue rescue SOURCE... --target T [--vm NAME]... [--backend B]
// [--fs xfs|ext4] [--confirm-wipe PATH] [--hash ..] [--retries N] [--json]`:
// plan and copy in one go. The plan is written to TARGET/kvm-rescue/plan.json;
// a rerun on the same target with the same old host continues that plan.
#include "rescue/access/old_host.hpp"
#include "rescue/cli/cancel_watch.hpp"
#include "rescue/cli/commands.hpp"
#include "rescue/cli/copy_run.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/signals.hpp"
#include "rescue/flow/copy_flow.hpp"
#include "rescue/flow/source.hpp"
#include "rescue/plan/plan_build.hpp"
#include "rescue/remote/ssh_url.hpp"

#include <iostream>
#include <memory>

namespace kvmr::cli {

void add_copy_flags(CLI::App &cmd, CopyFlags &f); // copy_cmd.cpp

namespace {

struct RescueArgs {
  std::vector<std::string> sources;
  std::string target;
  std::vector<std::string> vms;
  std::string backend = "auto";
  std::string fs = "xfs";
  std::string dialect = "el7";
  bool allow_not_ready = false;
  bool keep_format = false;
  std::string os_disk;
  std::string hostname;
  CopyFlags flags;
};

int run_rescue(const RescueArgs &a) {
  if (remote::is_ssh_url(a.target)) {
    std::cerr << "kvm-rescue rescue: another KVM host as the target takes its host key and "
                 "identity: use kvm-rescue plan --target "
              << a.target
              << " --host-key ... --identity ... -o plan.json, then kvm-rescue copy "
                 "--plan plan.json\n";
    return kExitUsage;
  }
  try {
    HoldSignals hold;
    CancelWatch watch;
    const flow::OpenedSource src =
        flow::open_source(a.sources, a.backend, [&watch] { watch.check(); });
    plan::PlanChoices choices;
    choices.vms = a.vms;
    choices.include_not_ready = a.allow_not_ready;
    choices.keep_format = a.keep_format;
    choices.kickstart.os_disk = a.os_disk;
    choices.kickstart.hostname = a.hostname;
    choices.backend = a.backend;
    choices.target_layout.fs_type = a.fs;
    choices.target_layout.el7_compatible = a.dialect == "el7";
    choices.kickstart.dialect = a.dialect;
    plan::RescuePlan p = flow::make_plan(src, a.target, choices);
    if (const auto stored = flow::stored_plan(p.target, src.disks);
        stored && flow::same_work(*stored, p)) {
      std::cerr << "the target holds this rescue's plan from an earlier run: continuing it\n";
      p = *stored;
    }
    watch.check();
    return copy_plan(p, src.disks, *src.host, a.flags, watch);
  } catch (const flow::Refused &e) {
    std::cerr << "kvm-rescue rescue: " << e.what() << '\n';
    return kExitUsage;
  } catch (const InputError &e) {
    std::cerr << "kvm-rescue rescue: " << e.what() << '\n';
    return kExitUsage;
  }
}

} // namespace

Runner add_rescue(CLI::App &app) {
  auto args = std::make_shared<RescueArgs>();
  auto *cmd = app.add_subcommand(
      "rescue", "Plan and copy in one go: every ready VM (or those named with --vm) from the old "
                "host's disks to the target. The old disks are only read.");
  cmd->add_option("sources", args->sources, "The old host's disks or image files")->required();
  cmd->add_option("--target", args->target,
                  "The mounted data filesystem (a directory), or a device or image file to "
                  "prepare (needs --confirm-wipe)")
      ->required();
  cmd->add_option("--vm", args->vms, "Only these VMs (repeatable); default: every ready VM");
  cmd->add_option("--backend", args->backend, "auto (default), kernel or guestfs")
      ->check(CLI::IsMember({"auto", "kernel", "guestfs"}));
  cmd->add_option("--fs", args->fs, "Data filesystem made on a device or image: xfs or ext4")
      ->check(CLI::IsMember({"xfs", "ext4"}));
  cmd->add_option("--dialect", args->dialect,
                  "The new host's OS: el7 (default; CentOS 7-compatible XFS), el8, el9")
      ->check(CLI::IsMember({"el7", "el8", "el9"}));
  cmd->add_flag("--allow-not-ready", args->allow_not_ready,
                "With --vm: take what can be read of a VM that is not ready");
  cmd->add_flag("--keep-format", args->keep_format,
                "Copy vmdk, vhdx, vpc, parallels, qed, vdi and qcow disks as they are "
                "(default: converted to qcow2, which EL's qemu-kvm opens read-write)");
  cmd->add_option("--os-disk", args->os_disk,
                  "The new host's OS disk (a /dev/disk/by-id name) for the kickstart");
  cmd->add_option("--hostname", args->hostname, "The new host's name; default: the old one's");
  add_copy_flags(*cmd, args->flags);
  return [args] { return run_rescue(*args); };
}

} // namespace kvmr::cli
