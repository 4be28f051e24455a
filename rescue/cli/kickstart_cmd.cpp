// `kvm-rescue kickstart --plan plan.json --os-disk ID [-o ks.cfg]`: the
// kickstart that reinstalls the host on the new OS disk, mounts the
// rescued data disk untouched and re-registers every VM on first boot.
#include "kickstart/logins.hpp"
#include "kickstart/password_hash.hpp"
#include "kickstart/profile_build.hpp"
#include "rescue/cli/commands.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/copy/atomic_file.hpp"
#include "rescue/flow/kickstart_flow.hpp"
#include "rescue/plan/plan_json.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>

namespace kvmr::cli {
namespace {

struct KickstartArgs {
  std::string plan;
  std::string output;
  std::string dialect;
  std::string os_disk;
  std::string data_disk;
  std::string data_partition;
  std::string hostname;
  std::vector<std::string> nics;
  std::string root_password;
  std::string root_password_hash;
  std::string root_password_file;
  std::string ssh_key_file;
  bool allow_no_login = false;
  std::string url;
  std::string oemdrv;
};

std::optional<std::string> opt(const std::string &s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

kickstart::Overrides overrides_of(const KickstartArgs &a) {
  kickstart::Overrides o;
  o.dialect = opt(a.dialect);
  o.os_disk = opt(a.os_disk);
  o.data_disk = opt(a.data_disk);
  o.data_partition = opt(a.data_partition);
  o.hostname = opt(a.hostname);
  o.root_password = opt(a.root_password);
  o.root_password_hash = opt(a.root_password_hash);
  if (!a.root_password_file.empty()) {
    if (o.root_password_hash || (o.root_password && *o.root_password != "hash")) {
      throw InputError("--root-password-file gives the root password: use it without "
                       "--root-password-hash and --root-password locked");
    }
    o.root_password = "hash";
    o.root_password_hash = kickstart::hash_password_file(a.root_password_file);
  }
  o.install_url = opt(a.url);
  o.allow_no_login = a.allow_no_login;
  if (!a.ssh_key_file.empty()) {
    o.ssh_key = kickstart::read_public_key(a.ssh_key_file);
  }
  for (const auto &n : a.nics) {
    const auto eq = n.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == n.size()) {
      throw InputError(fmt::format("--nic {}: use OLD=NEW (e.g. --nic eth0=enp3s0)", n));
    }
    o.nic_map[n.substr(0, eq)] = n.substr(eq + 1);
  }
  return o;
}

int run_kickstart(const KickstartArgs &a) {
  const plan::RescuePlan plan = plan::load_plan(a.plan);
  if (plan.target.kind == plan::TargetKind::remote) {
    std::cerr << fmt::format("kvm-rescue kickstart: {}: its target is another KVM host ({}), "
                             "which needs no kickstart: kvm-rescue copy --plan {} --restore "
                             "defines the VMs there\n",
                             a.plan, plan.target.path, a.plan);
    return kExitUsage;
  }
  const flow::KickstartOutput ks = flow::make_kickstart(plan, overrides_of(a), a.plan);
  for (const auto &w : ks.profile.warnings) {
    std::cerr << "warning: " << w << "\n";
  }
  if (a.output.empty() || a.output == "-") {
    std::cout << ks.text;
  } else {
    copy::write_file_atomic(a.output, ks.text);
    std::cerr << "wrote " << a.output << "\n";
  }
  if (!a.oemdrv.empty()) {
    const std::string part = flow::write_to_oemdrv(a.oemdrv, plan, ks.text);
    std::cerr << "wrote ks.cfg to the OEMDRV volume on " << part << "\n";
  }
  std::cerr << flow::next_steps(ks.profile, !a.oemdrv.empty());
  return ks.profile.warnings.empty() ? kExitOk : kExitPartial;
}

} // namespace

Runner add_kickstart(CLI::App &app) {
  auto a = std::make_shared<KickstartArgs>();
  auto *cmd = app.add_subcommand(
      "kickstart", "Write the kickstart that reinstalls the host on the new OS disk, keeps the "
                   "rescued data disk untouched and re-registers every VM on first boot");
  cmd->add_option("--plan", a->plan, "The rescue plan (answer file)")->required();
  cmd->add_option("-o,--output", a->output, "Where to write ks.cfg (default: stdout)");
  cmd->add_option("--dialect", a->dialect, "el7 (CentOS 7, default), el8 or el9");
  cmd->add_option("--os-disk", a->os_disk,
                  "The new OS disk, as a /dev/disk/by-id name (need not be attached here)");
  cmd->add_option("--data-disk", a->data_disk,
                  "The disk with the rescued VMs, by-id (default: the plan's target)");
  cmd->add_option("--data-partition", a->data_partition,
                  "Its data partition, by-id (default: partition 1 of --data-disk)");
  cmd->add_option("--hostname", a->hostname, "The new host's name (default: the old host's)");
  cmd->add_option("--nic", a->nics, "OLD=NEW: the old NIC's name on the new machine");
  cmd->add_option("--root-password", a->root_password,
                  "keep-old (default: the old host's root password and keys), hash or locked "
                  "(SSH keys only); the old host's admin accounts come along with each");
  cmd->add_option("--root-password-hash", a->root_password_hash, "A crypt(3) hash for 'hash'");
  cmd->add_option("--root-password-file", a->root_password_file,
                  "A file whose first line is a new root password: hashed here (SHA-512 crypt), "
                  "only the hash reaches the kickstart");
  cmd->add_option("--ssh-key", a->ssh_key_file, "A public key file for root");
  cmd->add_flag("--allow-no-login", a->allow_no_login,
                "Write the kickstart even when it leaves no way into the new host");
  cmd->add_option("--url", a->url, "Install from this URL instead of the DVD");
  cmd->add_option("--oemdrv", a->oemdrv,
                  "Also write ks.cfg to the OEMDRV volume on this disk or image (the one "
                  "`copy` prepared)");
  return [a] { return run_kickstart(*a); };
}

} // namespace kvmr::cli
