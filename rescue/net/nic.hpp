// The machine's network ports as the rescue medium sees them: name, MAC,
// driver, link state (up, down, or up without a cable), speed and the IP
// addresses on each. Read from sysfs (/sys/class/net) and `ip -j -d addr`;
// the roots are parameters so tests can point them at a made-up tree.
// Read-only: bringing a port up is bring_up.hpp.
#pragma once

#include "rescue/util/command.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::net {

// What a person needs to know before choosing a port.
enum class LinkState {
  up,         // switched on and a carrier (cable plugged, peer up)
  no_carrier, // switched on, no carrier: no cable, or the switch port is off
  down,       // switched off (ip link set down; the state after boot)
};

struct IpAddress {
  int family = 4; // 4 or 6
  std::string address;
  int prefix = 0;
  std::string scope; // "global", "link", "host"
  friend bool operator==(const IpAddress &, const IpAddress &) = default;
};

struct Nic {
  std::string name;
  std::string mac;         // lower case, "" when the port has none
  std::string driver;      // the kernel driver (e1000e, virtio_net), "" for virtual ports
  std::string kind;        // "ethernet" for hardware; else the link kind (bridge, veth, tun, ...)
  bool is_virtual = false; // no hardware behind it (bridge, veth, tun, bond, ...)
  LinkState link = LinkState::down;
  std::string operstate;         // the kernel's word: up, down, lowerlayerdown, dormant, unknown
  std::optional<int> speed_mbps; // when the driver knows it (link up, real hardware)
  std::vector<IpAddress> addresses;
};

// "up", "no-carrier", "down".
std::string link_state_name(LinkState s);

// Every port under SYS_CLASS_NET except loopback, sorted by name; links
// (bridge, veth, tun) are told from /sys only as far as sysfs shows them
// (bridge/, tun_flags, no device/ link); kind and addresses come later.
std::vector<Nic> read_sysfs_nics(const std::filesystem::path &sys_class_net);

// What `ip -j -d addr show` says per port: the link kind (linkinfo's
// info_kind) and the addresses. Throws InputError on output that is not
// ip's JSON.
struct IpLinkInfo {
  std::string kind;
  std::vector<IpAddress> addresses;
};
std::map<std::string, IpLinkInfo> parse_ip_addr_json(const std::string &json_text);

// read_sysfs_nics with kinds and addresses from `ip -j -d addr show` run
// through RUNNER. Throws when ip cannot be run or fails.
std::vector<Nic> list_nics(CommandRunner &runner,
                           const std::filesystem::path &sys_class_net = "/sys/class/net");

// The port called NAME in NICS, or nullptr.
const Nic *find_nic(const std::vector<Nic> &nics, const std::string &name);

} // namespace kvmr::net
