// A libvirt virtual network (/etc/libvirt/qemu/networks/NAME.xml): its
// bridge, forwarding and addresses with DHCP ranges and static hosts, so the
// new host can recreate it (and a domain's <source network=''> resolves).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

struct DhcpRange {
  std::string start;
  std::string end;
};

struct DhcpHost {
  std::string mac;
  std::string name;
  std::string ip;
};

struct NetworkIp {
  std::string family = "ipv4"; // ipv4 unless family='ipv6'
  std::string address;
  std::string netmask; // "" when given as a prefix
  std::optional<unsigned> prefix;
  std::vector<DhcpRange> ranges;
  std::vector<DhcpHost> hosts;
};

struct Network {
  std::string name;
  std::string uuid;
  // nat, route, bridge, open, passthrough, ...; "nat" for a <forward> without
  // a mode (libvirt's default); "" for an isolated network (no <forward>).
  std::string forward_mode;
  std::string forward_dev;
  std::string bridge; // virbr0
  std::string mac;
  std::vector<NetworkIp> ips;
  std::string xml; // the file's text, unchanged
};

// Throws InputError (naming FILE) on bad XML, a root other than <network>,
// no <name> or a malformed prefix.
Network parse_network_xml(std::string_view text, const std::string &file);

} // namespace kvmr::scan
