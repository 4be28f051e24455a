// `kvm-rescue plan SOURCE... --target DIR|DEVICE|IMAGE [--vm NAME]...
// [--allow-not-ready] [-o plan.json] [--json] ...`: what a rescue will copy
// where, checked against the target, for review and as the answer file.
// Reads the sources, looks at the target; writes nothing but -o.
#include "rescue/cli/commands.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/password_prompt.hpp"
#include "rescue/cli/signals.hpp"
#include "rescue/flow/remote_flow.hpp"
#include "rescue/flow/source.hpp"
#include "rescue/plan/plan_build.hpp"
#include "rescue/plan/plan_json.hpp"
#include "rescue/remote/ssh_url.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace kvmr::cli {
namespace {

struct PlanArgs {
  std::vector<std::string> sources;
  std::string target;
  std::vector<std::string> vms;
  bool allow_not_ready = false;
  bool keep_format = false;
  std::string output;
  bool json = false;
  std::string backend = "auto";
  std::string fs = "xfs";
  std::string dialect = "el7";
  std::string os_disk;
  std::string hostname;
  // ssh:// targets
  std::string host_key;
  std::string known_hosts;
  std::string identity;
  bool password_stdin = false;
};

int refuse(const std::string &why) {
  std::cerr << "kvm-rescue: " << why << "\n";
  return kExitUsage;
}

// Prints P (text or JSON) and saves it, or prints why the target NO
// refuses it.
int show_plan(const plan::RescuePlan &p, const PlanArgs &a, const std::vector<std::string> &no) {
  if (!no.empty()) {
    std::cerr << "kvm-rescue: the target " << a.target << " cannot be used:\n";
    for (const auto &r : no) {
      std::cerr << "  " << r << "\n";
    }
    return kExitUsage;
  }
  if (a.json) {
    std::cout << plan::to_redacted_json(p).dump(2, ' ', false,
                                                nlohmann::json::error_handler_t::replace)
              << '\n';
  } else {
    std::cout << plan::render_plan(p);
  }
  if (!a.output.empty()) {
    plan::save_plan(p, a.output);
    (a.json ? std::cerr : std::cout) << "\nplan written to " << a.output << "\n";
  }
  return p.warnings.empty() ? kExitOk : kExitPartial;
}

// --target ssh://...: the other KVM host is asked where the run goes and
// whether it can take it (flow/remote_flow.hpp).
int run_remote_plan(const PlanArgs &a, const plan::PlanChoices &ch) {
  flow::RemoteChoice choice{a.target, {a.host_key, a.known_hosts}, a.identity, {}};
  try {
    (void)remote::parse_ssh_url(a.target); // a typo stops before the disks are opened
    // Asked before the disks are opened (and the signals held); not while
    // no host key is confirmed: the link then only shows the ones offered.
    if (a.password_stdin || !a.host_key.empty() || !a.known_hosts.empty()) {
      choice.password = target_password(a.target, a.identity, a.password_stdin);
    }
  } catch (const InputError &e) {
    return refuse(e.what());
  }
  HoldSignals hold;
  flow::OpenedSource src = flow::open_source(a.sources, a.backend, [&hold] { hold.check(); });
  flow::RemotePlan rp;
  try {
    rp = flow::make_remote_plan(src, choice, ch);
  } catch (const InputError &e) {
    return refuse(e.what());
  }
  src.host.reset();
  hold.check();
  for (const auto &n : rp.notes) {
    std::cerr << "kvm-rescue: " << n << "\n";
  }
  if (const std::string s = plan::space_shortfall(rp.plan); !s.empty()) {
    rp.refusals.push_back(s);
  }
  return show_plan(rp.plan, a, rp.refusals);
}

int run_plan(const PlanArgs &a) {
  plan::PlanChoices ch;
  ch.vms = a.vms;
  ch.include_not_ready = a.allow_not_ready;
  ch.keep_format = a.keep_format;
  ch.backend = a.backend;
  ch.target_layout.fs_type = a.fs;
  ch.target_layout.el7_compatible = a.dialect == "el7";
  ch.kickstart.dialect = a.dialect;
  ch.kickstart.os_disk = a.os_disk;
  ch.kickstart.hostname = a.hostname;
  if (remote::is_ssh_url(a.target)) {
    return run_remote_plan(a, ch);
  }
  if (a.password_stdin) {
    return refuse("--password-stdin is for a network target (--target ssh://...)");
  }

  HoldSignals hold;
  target::TargetInfo tinfo;
  try {
    tinfo = target::inspect_target(a.target);
  } catch (const InputError &e) {
    return refuse(e.what());
  }
  flow::OpenedSource src = flow::open_source(a.sources, a.backend, [&hold] { hold.check(); });
  plan::RescuePlan p;
  try {
    p = flow::make_plan(src, a.target, ch);
  } catch (const InputError &e) {
    return refuse(e.what());
  }
  src.host.reset(); // release the old host's mounts before anything is written
  hold.check();

  // Size is the preflight's (it names the margin); refusals() looks at the rest.
  std::vector<std::string> no = target::refusals(tinfo, src.disks, 0, ch.target_layout);
  if (const std::string s = plan::space_shortfall(p); !s.empty()) {
    no.push_back(s);
  }
  return show_plan(p, a, no);
}

} // namespace

Runner add_plan(CLI::App &app) {
  auto args = std::make_shared<PlanArgs>();
  auto *cmd = app.add_subcommand(
      "plan", "Work out what a rescue copies where and check that it fits on the target; print "
              "it for review and save it as the answer file. Writes nothing else.");
  cmd->add_option("sources", args->sources, "The old host's disks or image files")->required();
  cmd->add_option("--target", args->target,
                  "The new disk: the mount point of its data filesystem, or a device or image "
                  "file to be prepared later; or another KVM host, ssh://[USER@]HOST[:PORT][/DIR]")
      ->required();
  cmd->add_option("--host-key", args->host_key,
                  "ssh:// target: the SHA256 fingerprint of its host key, as checked on its "
                  "console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)");
  cmd->add_option("--known-hosts", args->known_hosts,
                  "ssh:// target: a known_hosts file that names it (instead of --host-key)");
  cmd->add_option("--identity", args->identity,
                  "ssh:// target: the private key file to log in with (root, or a user with "
                  "passwordless sudo); without it the password is asked on the terminal");
  cmd->add_flag("--password-stdin", args->password_stdin,
                "ssh:// target without --identity: read the login's password as one line from "
                "standard input (it is never an argument, nor saved in the plan)");
  cmd->add_option("--vm", args->vms,
                  "Rescue only this VM (repeatable); default: every VM "
                  "that is not not_ready");
  cmd->add_flag("--allow-not-ready", args->allow_not_ready,
                "With --vm: take what can be read of a VM that is not ready");
  cmd->add_flag("--keep-format", args->keep_format,
                "Copy vmdk, vhdx, vpc, parallels, qed, vdi and qcow disks as they are "
                "(default: converted to qcow2, which EL's qemu-kvm opens read-write)");
  cmd->add_option("-o,--output", args->output, "Save the plan (JSON, mode 0600) to this file");
  cmd->add_flag("--json", args->json, "Print the plan as JSON instead of text");
  cmd->add_option("--backend", args->backend, "auto (default), kernel or guestfs, as for scan")
      ->check(CLI::IsMember({"auto", "kernel", "guestfs"}));
  cmd->add_option("--fs", args->fs, "Data filesystem a device target gets: xfs (default), ext4")
      ->check(CLI::IsMember({"xfs", "ext4"}));
  cmd->add_option("--dialect", args->dialect,
                  "The new host's OS for the kickstart: el7 (default), el8, el9")
      ->check(CLI::IsMember({"el7", "el8", "el9"}));
  cmd->add_option("--os-disk", args->os_disk,
                  "The new host's OS disk (a /dev/disk/by-id name) for the kickstart");
  cmd->add_option("--hostname", args->hostname, "The new host's name; default: the old one's");
  return [args] { return run_plan(*args); };
}

} // namespace kvmr::cli
