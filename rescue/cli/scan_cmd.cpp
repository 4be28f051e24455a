// `kvm-rescue scan SOURCE... [--json] [--backend auto|kernel|guestfs]`:
// every VM of the old host and everything it needs, and the host's profile.
#include "rescue/access/old_host.hpp"
#include "rescue/cli/commands.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/scan_guests.hpp"
#include "rescue/cli/scan_text.hpp"
#include "rescue/cli/signals.hpp"
#include "rescue/scan/inventory_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace kvmr::cli {
namespace {

struct ScanArgs {
  std::vector<std::string> sources;
  bool json = false;
  std::string backend = "auto";
  bool inspect = false;
};

nlohmann::json access_json(access::OldHost &h, const std::vector<access::LvView> &lvs) {
  nlohmann::json mounts = nlohmann::json::array();
  for (const auto &m : h.mounts()) {
    mounts.push_back({{"mountpoint", m.mountpoint},
                      {"spec", m.spec},
                      {"device", m.device},
                      {"fstype", m.fstype},
                      {"state", m.state},
                      {"reason", m.reason}});
  }
  nlohmann::json lv = nlohmann::json::array();
  for (const auto &l : lvs) {
    lv.push_back({{"name", l.name},
                  {"size", l.size},
                  {"readable", l.readable},
                  {"access", l.access},
                  {"problems", l.problems}});
  }
  return {{"backend", access::to_string(h.backend())},
          {"mounts", mounts},
          {"lvs", lv},
          {"notes", h.notes()}};
}

int run_scan(const ScanArgs &a) {
  access::AccessOptions opts;
  opts.backend = access::parse_backend(a.backend);
  HoldSignals hold;
  auto host = access::OldHost::open(a.sources, opts);
  hold.check();
  const std::vector<access::LvView> lvs = host->lvs();
  std::vector<scan::LvFact> facts;
  facts.reserve(lvs.size());
  for (const auto &l : lvs) {
    facts.push_back({l.name, l.size, l.readable, l.access, l.problems});
  }
  scan::HostInventory inv = scan::build_inventory(host->tree(), facts);
  hold.check();
  if (a.inspect) {
    inspect_guests(*host, inv);
    hold.check();
  }
  bool all_ready = true;
  for (const auto &vm : inv.vms) {
    all_ready = all_ready && vm.readiness != scan::Readiness::not_ready;
  }
  if (a.json) {
    nlohmann::json doc = {{"schema_version", 1},
                          {"kind", "kvm-rescue.scan"},
                          {"sources", a.sources},
                          {"access", access_json(*host, lvs)}};
    doc.update(scan::to_json(inv));
    // Strings are the old disk's bytes: invalid UTF-8 becomes U+FFFD.
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    const ScanHeader header{host->backend() == access::Backend::kernel
                                ? "kernel mounts (read-only loop devices)"
                                : "the libguestfs appliance",
                            host->root_device(), host->notes()};
    std::cout << render_scan(header, inv);
  }
  return all_ready ? kExitOk : kExitPartial;
}

} // namespace

Runner add_scan(CLI::App &app) {
  auto args = std::make_shared<ScanArgs>();
  auto *cmd = app.add_subcommand(
      "scan", "Find every VM on the old host and everything it needs, and the host's profile. "
              "Read-only.");
  cmd->add_option("sources", args->sources, "The old host's disks or image files")->required();
  cmd->add_flag("--json", args->json, "One JSON document on stdout");
  cmd->add_option("--backend", args->backend,
                  "auto (default): kernel mounts as root, libguestfs otherwise or when the kernel "
                  "lacks device-mapper or a filesystem; kernel; guestfs")
      ->check(CLI::IsMember({"auto", "kernel", "guestfs"}));
  cmd->add_flag("--inspect-guests", args->inspect,
                "Also look inside each VM's disks (libguestfs, read-only): OS, version, "
                "hostname. Slow: one appliance start");
  return [args] { return run_scan(*args); };
}

} // namespace kvmr::cli
