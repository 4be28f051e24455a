// `kvm-rescue mount-ro SOURCE... DIR` and `kvm-rescue umount DIR`: the old
// host's read-only tree left mounted for a shell user, and its release.
#include "rescue/cli/commands.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/signals.hpp"
#include "rescue/text/text.hpp"
#include "rescue/volume/registry.hpp"
#include "rescue/volume/source_host.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

namespace kvmr::cli {

using text::human_size;
using text::wrap;

namespace {

struct MountArgs {
  std::vector<std::string> args; // SOURCE... DIR
  bool json = false;
  bool check = false; // the no-modify check of every mounted volume
};

// Findings printed per volume in the text output; --json has them all.
constexpr std::size_t kTextFindings = 3;

nlohmann::json check_json(const std::optional<volume::FsCheck> &c) {
  if (!c) {
    return nullptr;
  }
  return {{"verdict", volume::to_string(c->verdict)},
          {"summary", c->summary},
          {"device", c->device},
          {"command", c->command},
          {"exit_code", c->exit_code},
          {"findings", c->findings}};
}

nlohmann::json report_json(const volume::HostReport &r) {
  nlohmann::json vols = nlohmann::json::array();
  for (const auto &v : r.volumes) {
    vols.push_back({{"name", v.name},
                    {"kind", v.kind},
                    {"fstype", v.fstype},
                    {"uuid", v.uuid},
                    {"label", v.label},
                    {"backing", v.backing},
                    {"offset", v.offset},
                    {"size", v.size},
                    {"contiguous", v.contiguous},
                    {"mountpoint", v.mountpoint},
                    {"problem", v.problem},
                    {"check", check_json(v.check)}});
  }
  nlohmann::json lvs = nlohmann::json::array();
  for (const auto &l : r.lvs) {
    lvs.push_back(
        {{"name", l.name}, {"size", l.size}, {"access", l.access}, {"problems", l.problems}});
  }
  nlohmann::json fstab = nlohmann::json::array();
  for (const auto &f : r.fstab) {
    fstab.push_back({{"spec", f.spec},
                     {"mountpoint", f.mountpoint},
                     {"fstype", f.fstype},
                     {"volume", f.volume},
                     {"status", f.status},
                     {"detail", f.detail}});
  }
  return {{"schema_version", 1}, {"kind", "kvm-rescue.mount-ro"},
          {"tree", r.tree},      {"root_volume", r.root_volume},
          {"volumes", vols},     {"lvs", lvs},
          {"fstab", fstab},      {"problems", r.problems},
          {"notes", r.notes}};
}

void print_check(const volume::FsCheck &c) {
  for (const auto &l : wrap(fmt::format("{}: {}", volume::to_string(c.verdict), c.summary),
                            "    check: ", "           ")) {
    std::cout << l << '\n';
  }
  // The tool's own lines, as it wrapped them.
  for (std::size_t i = 0; i < c.findings.size() && i < kTextFindings; ++i) {
    std::cout << "      " << c.findings[i] << '\n';
  }
  if (c.findings.size() > kTextFindings) {
    std::cout << fmt::format("      ({} more lines: --json lists them)\n",
                             c.findings.size() - kTextFindings);
  }
}

void print_report(const volume::HostReport &r) {
  std::cout << fmt::format("Old host's tree, read-only, at {}\n", r.tree);
  for (const auto &v : r.volumes) {
    const std::string where = v.mountpoint.empty() ? "-" : v.mountpoint;
    std::cout << fmt::format("  {:<28.28} {:<6} {:>9}  {}\n", v.name, v.fstype, human_size(v.size),
                             where);
    if (v.check) {
      print_check(*v.check);
    }
  }
  for (const auto &p : r.problems) {
    for (const auto &l : wrap(p, "  ! ", "    ")) {
      std::cout << l << '\n';
    }
  }
  std::cout << fmt::format("Release it with: kvm-rescue umount {}\n", r.tree);
}

int run_mount(const MountArgs &a) {
  if (a.args.size() < 2) {
    std::cerr << "kvm-rescue mount-ro: give one or more SOURCE disks or images, then DIR\n";
    return kExitUsage;
  }
  volume::OpenOptions opts;
  opts.tree_dir = a.args.back();
  opts.check = a.check;
  const std::vector<std::string> sources(a.args.begin(), a.args.end() - 1);
  HoldSignals hold;
  auto host = volume::SourceHost::open(sources, opts);
  // Test hook: hold the devices for N seconds before handing them over, so
  // tests can interrupt or kill a run that has everything attached.
  if (const char *hold_s = std::getenv("KVMR_TEST_HOLD_SECONDS"); hold_s != nullptr) {
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(hold_s)));
  }
  hold.check(); // a Ctrl-C meanwhile: the destructor releases everything
  for (const auto &n : host->report().notes) {
    std::cerr << "kvm-rescue mount-ro: " << n << '\n';
  }
  if (a.json) {
    std::cout << report_json(host->report()).dump(2) << '\n';
  } else {
    print_report(host->report());
  }
  host->keep_mounted();
  return kExitOk;
}

int run_umount(const std::string &dir) {
  HoldSignals hold;
  const auto session = volume::find_session(dir);
  if (!session) {
    std::cerr << fmt::format("kvm-rescue umount: {}: no kvm-rescue mount-ro session there\n", dir);
    return kExitFailure;
  }
  const auto rep = volume::tear_down(*session);
  for (const auto &d : rep.done) {
    std::cout << d << '\n';
  }
  for (const auto &f : rep.failed) {
    std::cerr << "kvm-rescue umount: " << f << '\n';
  }
  return rep.failed.empty() ? kExitOk : kExitFailure;
}

} // namespace

Runner add_mount_ro(CLI::App &app) {
  auto args = std::make_shared<MountArgs>();
  auto *cmd = app.add_subcommand(
      "mount-ro", "Assemble the old host's filesystems read-only at DIR and leave them mounted");
  cmd->add_option("sources_and_dir", args->args, "SOURCE... DIR")->required();
  cmd->add_flag("--json", args->json, "One JSON document on stdout");
  cmd->add_flag("--check", args->check,
                "Also run the no-modify check (xfs_repair -n, e2fsck -n) on every mounted "
                "volume and report its verdict");
  return [args] { return run_mount(*args); };
}

Runner add_umount(CLI::App &app) {
  auto dir = std::make_shared<std::string>();
  auto *cmd = app.add_subcommand("umount", "Release a tree made by mount-ro");
  cmd->add_option("dir", *dir, "The DIR given to mount-ro")->required();
  return [dir] { return run_umount(*dir); };
}

} // namespace kvmr::cli
