// Which NIC of the new machine is which NIC of the old host: where the
// same card moved (the rescue medium boots on the new machine), its MAC
// address names it. The old host's MACs are the ifcfg HWADDR/MACADDR
// values and the bridge ports' MACs in the plan's host profile; the new
// machine's come from /sys/class/net.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::kickstart {

struct LocalNic {
  std::string name; // enp3s0
  std::string mac;  // lower-case, "52:54:00:aa:bb:cc"
};

// The physical NICs under SYS_CLASS_NET (normally /sys/class/net): entries
// with a `device` link, without lo, bridges, bonds, VLANs, veth or tun
// devices; a bond port's permanent MAC (bonding_slave/perm_hwaddr) is
// taken over its current one. Missing or unreadable entries are skipped;
// a missing directory gives an empty list.
std::vector<LocalNic> read_local_nics(const std::string &sys_class_net = "/sys/class/net");

// The old host's NICs (by name) whose MAC one of LOCAL has: old name ->
// local name. HOST is the plan's host profile (scan::to_json).
std::map<std::string, std::string> match_nics_by_mac(const nlohmann::json &host,
                                                     const std::vector<LocalNic> &local);

// The MAC of the old host's NIC DEVICE ("" when its ifcfg had none).
std::string old_nic_mac(const nlohmann::json &host, std::string_view device);

// "52:54:00:AA:BB:CC" -> "52:54:00:aa:bb:cc"; "" when not a MAC address.
std::string normalize_mac(std::string_view mac);

} // namespace kvmr::kickstart
