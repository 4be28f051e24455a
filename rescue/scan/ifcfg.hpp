// One RHEL/CentOS network-scripts file (/etc/sysconfig/network-scripts/
// ifcfg-NAME) as initscripts understands it: the shell assignments (read by
// shell_assign.hpp, nothing is run) interpreted into a HostInterface: device
// and type, addresses, bridge port / bond member / VLAN relations.
#pragma once

#include "rescue/scan/shell_assign.hpp"
#include "rescue/scan/source_note.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

enum class InterfaceType { ethernet, bridge, bond, vlan, other };
enum class BootProto { unset, none, static_ip, dhcp, bootp, other };

const char *to_string(InterfaceType t);
const char *to_string(BootProto p); // "", "none", "static", "dhcp", "bootp", "other"

struct IpAddress {
  std::string address;       // "192.168.10.5"
  std::optional<int> prefix; // 24; from PREFIXn, NETMASKn, else class-based (noted)
  int index = -1;            // -1 for IPADDR, n for IPADDRn
};

struct HostInterface {
  std::string file;   // "/etc/sysconfig/network-scripts/ifcfg-br0"
  std::string device; // DEVICE, else the file name's suffix
  std::string name;   // NAME (NetworkManager's connection name), may be empty
  InterfaceType type = InterfaceType::ethernet;
  std::string type_text; // TYPE as written ("Bridge"), empty when inferred
  bool onboot = true;    // initscripts brings up every file unless ONBOOT=no
  BootProto bootproto = BootProto::unset;
  std::string bootproto_text; // BOOTPROTO as written
  std::string hwaddr;         // HWADDR, lower-case
  std::string macaddr;        // MACADDR (the MAC to set), lower-case
  std::vector<IpAddress> addresses;
  std::string gateway;
  std::vector<std::string> dns; // DNS1..DNSn in order
  std::string domain;           // DOMAIN (search list)
  std::string bridge;           // BRIDGE: this device is a port of that bridge
  std::string master;           // MASTER: bond this device is a member of
  bool slave = false;           // SLAVE=yes
  std::string bonding_opts;
  std::optional<int> vlan_id;
  std::string physdev; // a VLAN's parent device
  std::optional<int> mtu;
  std::optional<bool> nm_controlled;
  std::optional<bool> defroute;
  std::optional<bool> ipv6init;
  std::optional<bool> stp; // bridges
  std::string delay;       // bridges: DELAY (forward delay, seconds)
  std::string hostname;    // HOSTNAME or DHCP_HOSTNAME, when set
  std::vector<SourceNote> warnings;

  // The MAC that identifies the NIC: HWADDR, else MACADDR.
  [[nodiscard]] const std::string &mac() const { return hwaddr.empty() ? macaddr : hwaddr; }
};

// "yes"/"no" the way initscripts' is_true/is_false read them; nullopt for
// anything else (including empty).
std::optional<bool> parse_shell_bool(std::string_view v);

// "255.255.255.0" -> 24; nullopt when not a dotted quad of contiguous ones.
std::optional<int> netmask_to_prefix(std::string_view netmask);

// Interprets the assignments of the file at PATH (whose base name gives the
// device when DEVICE is absent). Warnings of VARS are carried over.
HostInterface interpret_ifcfg(const ShellAssignments &vars, const std::string &path);

// parse_shell_assignments + interpret_ifcfg.
HostInterface parse_ifcfg(std::string_view text, const std::string &path);

} // namespace kvmr::scan
