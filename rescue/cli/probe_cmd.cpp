// `kvm-rescue probe`: the disk inventory with boot verdicts.
#include "rescue/cli/commands.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/signals.hpp"
#include "rescue/disk/probe.hpp"
#include "rescue/disk/probe_json.hpp"
#include "rescue/disk/sysfs.hpp"
#include "rescue/text/probe_text.hpp"
#include "rescue/volume/boot_mount.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>

namespace kvmr::cli {
namespace {

struct ProbeArgs {
  std::vector<std::string> paths;
  bool json = false;
  bool no_smart = false;
  bool no_mount = false;
};

int run_probe(const ProbeArgs &a) {
  std::vector<std::string> paths = a.paths;
  if (paths.empty()) {
    paths = disk::list_block_devices();
    if (paths.empty()) {
      std::cerr << "kvm-rescue probe: no block devices found in /sys/block\n";
    }
  }
  SystemCommandRunner runner;
  disk::ProbeOptions opts;
  opts.smart = !a.no_smart;
  auto disks = disk::probe_disks(paths, runner, opts);
  if (!a.no_mount) {
    const HoldSignals hold; // the /boot mount is released before a signal acts
    for (auto &d : disks) {
      volume::read_boot_files(d);
      hold.check();
    }
  }
  if (a.json) {
    std::cout << disk::probe_report(disks).dump(2) << '\n';
  } else {
    std::cout << text::render_probe(disks);
  }
  bool any_error = false;
  for (const auto &d : disks) {
    if (d.status == disk::DiskStatus::error) {
      std::cerr << fmt::format("kvm-rescue probe: {}: {}\n", d.path, d.error);
      any_error = true;
    }
  }
  return any_error ? kExitPartial : kExitOk;
}

} // namespace

Runner add_probe(CLI::App &app) {
  auto args = std::make_shared<ProbeArgs>();
  auto *cmd =
      app.add_subcommand("probe", "List disks: partitions, filesystems, health and why a disk does "
                                  "not boot. Read-only.");
  cmd->add_option("disks", args->paths,
                  "Block devices or image files (default: every disk of the machine)");
  cmd->add_flag("--json", args->json, "One JSON document on stdout");
  cmd->add_flag("--no-smart", args->no_smart, "Do not ask smartctl about devices");
  cmd->add_flag("--no-mount", args->no_mount,
                "Do not mount /boot read-only to check grub.cfg, kernels and initramfs");
  return [args] { return run_probe(*args); };
}

} // namespace kvmr::cli
