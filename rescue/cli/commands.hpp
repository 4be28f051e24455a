// The subcommands of the kvm-rescue CLI. Each registers its options on the
// CLI11 app and returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace kvmr::cli {

using Runner = std::function<int()>;

// `kvm-rescue probe [DEVICE|IMAGE...] [--json] [--no-smart]`
Runner add_probe(CLI::App &app);

// `kvm-rescue mount-ro SOURCE... DIR [--json] [--check]`
Runner add_mount_ro(CLI::App &app);

// `kvm-rescue scan SOURCE... [--json] [--backend auto|kernel|guestfs]`
Runner add_scan(CLI::App &app);

// `kvm-rescue plan SOURCE... --target DIR|DEVICE|IMAGE [--vm NAME]... [-o FILE] [--json]`
Runner add_plan(CLI::App &app);

// `kvm-rescue kickstart --plan plan.json --os-disk ID [-o ks.cfg]`
Runner add_kickstart(CLI::App &app);

// `kvm-rescue umount DIR`
Runner add_umount(CLI::App &app);

// `kvm-rescue copy --plan plan.json [--confirm-wipe PATH] [--hash xxh3|sha256]
// [--retries N] [--json]`
Runner add_copy(CLI::App &app);

// `kvm-rescue rescue SOURCE... --target T [--vm NAME]... [--confirm-wipe PATH] ...`
Runner add_rescue(CLI::App &app);

// `kvm-rescue network [--json] [--dhcp NIC | --static NIC --address A/P ...]`
Runner add_network(CLI::App &app);

// `kvm-rescue wizard [DEVICE|IMAGE...] [--target T] [--replay plan.json]`
Runner add_wizard(CLI::App &app);

} // namespace kvmr::cli
