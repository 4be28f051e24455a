// Bringing one network port up on the rescue medium, on request: DHCP
// (dhclient, else dhcpcd: whichever is installed) bounded in time, or a
// static address typed in, with an optional default gateway and an
// optional DNS server (written to resolv.conf only when given). The calls
// never print, prompt or throw for an outcome (no lease, a tool failing):
// a front-end shows UpResult::error as it is. Bad input is refused before
// anything changes: parse_static throws InputError naming the option.
#pragma once

#include "rescue/net/address.hpp"
#include "rescue/net/nic.hpp"
#include "rescue/util/command.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::net {

struct NetOptions {
  std::chrono::seconds dhcp_timeout{60}; // a switch port with spanning tree needs ~30 s
  // The DHCP client's lease, pid and configuration files (never the
  // system's /var/lib/dhcp): one set per port.
  std::filesystem::path state_dir = "/run/kvm-rescue/net";
  std::filesystem::path sys_class_net = "/sys/class/net";
  std::filesystem::path resolv_conf = "/etc/resolv.conf";
};

struct StaticConfig {
  std::string nic;
  Cidr address;
  std::string gateway; // "" for none
  std::string dns;     // "" to leave resolv.conf alone
};

// Checks a typed-in static configuration: NIC must be one of NICS (the
// error lists the ports there are), ADDRESS is ADDR/PREFIX, GATEWAY and
// DNS (either may be "") single addresses, the gateway of the address's
// family. Throws InputError naming the bad one.
StaticConfig parse_static(const std::vector<Nic> &nics, const std::string &nic,
                          const std::string &address, const std::string &gateway,
                          const std::string &dns);

// Throws InputError unless NIC is one of NICS ("no network port 'X';
// ports here: a, b").
void require_nic(const std::vector<Nic> &nics, const std::string &nic);

struct UpResult {
  bool ok = false;
  std::string nic;
  std::string method; // "dhcp" or "static"
  std::string client; // the DHCP client that ran (dhclient, dhcpcd); "" for static
  std::string error;  // for a person, names the port and the step; "" when ok
  Nic after;          // the port as it is afterwards (link state, addresses)
};

// Switches NIC on (ip link set up) and asks for a lease, for at most
// OPTS.dhcp_timeout. A client this module started earlier on NIC is
// stopped first. The client stays in the background to renew the lease.
UpResult bring_up_dhcp(const std::string &nic, CommandRunner &runner, const NetOptions &opts = {});

// Switches CFG.nic on and sets the address (replacing the same address,
// keeping others), the default route through the gateway, and the DNS
// server in OPTS.resolv_conf. A DHCP client this module started on the
// port is stopped first (it would renew its own address).
UpResult bring_up_static(const StaticConfig &cfg, CommandRunner &runner,
                         const NetOptions &opts = {});

// The argument vectors and the dhclient configuration, for the tests.
std::vector<std::string> dhclient_argv(const std::string &nic, const NetOptions &opts);
std::vector<std::string> dhcpcd_argv(const std::string &nic, const NetOptions &opts);
std::string dhclient_conf(std::chrono::seconds timeout);

} // namespace kvmr::net
