// `kvm-rescue network`: the machine's network ports with their link state
// and addresses, and bringing one up on request (--dhcp NIC, or --static
// NIC --address A/P [--gateway G] [--dns D]) before a network target.
#include "rescue/cli/commands.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/net/bring_up.hpp"
#include "rescue/net/nic.hpp"
#include "rescue/net/nic_json.hpp"
#include "rescue/text/text.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <memory>

namespace kvmr::cli {
namespace {

struct NetworkArgs {
  bool json = false;
  std::string dhcp;    // NIC
  std::string stat;    // NIC (--static)
  std::string address; // A/P
  std::string gateway;
  std::string dns;
  int timeout = 60;
  std::string state_dir = "/run/kvm-rescue/net";
  std::string resolv_conf = "/etc/resolv.conf";
};

std::string link_words(const net::Nic &n) {
  switch (n.link) {
  case net::LinkState::up: return "up";
  case net::LinkState::no_carrier: return "no cable";
  case net::LinkState::down: return "down";
  }
  return "down";
}

std::string addresses_text(const net::Nic &n) {
  std::vector<std::string> out;
  for (const auto &a : n.addresses) {
    out.push_back(a.address + "/" + std::to_string(a.prefix));
  }
  return out.empty() ? std::string("-") : fmt::format("{}", fmt::join(out, ", "));
}

// One row per port within 80 columns; its addresses on the lines below,
// indented (an IPv6 address alone can take 43 columns).
std::string render_nics(const std::vector<net::Nic> &nics) {
  if (nics.empty()) {
    return "No network ports (only loopback): the kernel has no driver for this machine's\n"
           "network card, or it has none.\n";
  }
  std::string out = fmt::format("{:<15} {:<9} {:<10} {:<17}  {}\n", "PORT", "LINK", "SPEED", "MAC",
                                "DRIVER/KIND");
  for (const auto &n : nics) {
    const std::string speed = n.speed_mbps ? fmt::format("{} Mb/s", *n.speed_mbps) : "-";
    const std::string what = n.is_virtual ? n.kind + " (virtual)" : n.driver;
    std::string row =
        fmt::format("{:<15} {:<9} {:<10} {:<17}  {}", text::fit(n.name, 15), link_words(n), speed,
                    n.mac.empty() ? "-" : n.mac, text::fit(what.empty() ? "-" : what, 24));
    row.erase(row.find_last_not_of(' ') + 1); // fit() pads the last column
    out += row + "\n";
    for (const auto &a : n.addresses) {
      out += fmt::format("  {}/{}\n", a.address, a.prefix);
    }
  }
  return out;
}

net::NetOptions options(const NetworkArgs &a) {
  net::NetOptions o;
  o.dhcp_timeout = std::chrono::seconds(a.timeout);
  o.state_dir = a.state_dir;
  o.resolv_conf = a.resolv_conf;
  return o;
}

int report_up(const NetworkArgs &a, const net::UpResult &r, const std::vector<net::Nic> &nics) {
  if (a.json) {
    std::cout << net::network_report(nics, &r).dump(2) << '\n';
  } else if (r.ok) {
    const std::string line =
        fmt::format("{}: link {}, {}{}", r.nic, link_words(r.after), addresses_text(r.after),
                    r.client.empty() ? "" : " (" + r.client + ")");
    for (const auto &l : text::wrap(line, "", "  ")) {
      std::cout << l << '\n';
    }
  }
  if (!r.ok) {
    std::cerr << "kvm-rescue network: " << r.error << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int run_network(const NetworkArgs &a) {
  SystemCommandRunner runner;
  const net::NetOptions opts = options(a);
  auto nics = net::list_nics(runner);
  if (a.dhcp.empty() && a.stat.empty()) {
    std::cout << (a.json ? net::network_report(nics).dump(2) + "\n" : render_nics(nics));
    return kExitOk;
  }
  net::UpResult r;
  try {
    if (!a.dhcp.empty()) {
      net::require_nic(nics, a.dhcp);
      r = net::bring_up_dhcp(a.dhcp, runner, opts);
    } else {
      const auto cfg = net::parse_static(nics, a.stat, a.address, a.gateway, a.dns);
      r = net::bring_up_static(cfg, runner, opts);
    }
  } catch (const InputError &e) {
    std::cerr << "kvm-rescue network: " << e.what() << "\n";
    return kExitUsage;
  }
  return report_up(a, r, a.json ? net::list_nics(runner) : nics);
}

} // namespace

Runner add_network(CLI::App &app) {
  auto args = std::make_shared<NetworkArgs>();
  auto *cmd = app.add_subcommand(
      "network", "List the network ports with link state and addresses; bring one up with "
                 "--dhcp or --static (for a target over the network).");
  cmd->add_flag("--json", args->json, "One JSON document on stdout");
  auto *dhcp = cmd->add_option("--dhcp", args->dhcp, "Switch NIC on and ask DHCP for an address")
                   ->type_name("NIC");
  auto *stat = cmd->add_option("--static", args->stat, "Switch NIC on with --address")
                   ->type_name("NIC")
                   ->excludes(dhcp);
  auto *addr = cmd->add_option("--address", args->address, "The static address, ADDR/PREFIX")
                   ->type_name("A/P")
                   ->needs(stat);
  stat->needs(addr);
  cmd->add_option("--gateway", args->gateway, "Default route through this address (--static)")
      ->needs(stat);
  cmd->add_option("--dns", args->dns, "Write this DNS server to resolv.conf (--static)")
      ->needs(stat);
  cmd->add_option("--timeout", args->timeout, "Seconds to wait for a DHCP lease")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--state-dir", args->state_dir,
                  "Where the DHCP client keeps its lease, pid and configuration files")
      ->capture_default_str();
  cmd->add_option("--resolv-conf", args->resolv_conf, "The file --dns writes")
      ->capture_default_str();
  return [args] { return run_network(*args); };
}

} // namespace kvmr::cli
