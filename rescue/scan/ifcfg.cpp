// ifcfg interpretation (see ifcfg.hpp): what initscripts' ifup would make of
// the variables, with a warning for each value it would reject or guess.
#include "rescue/scan/ifcfg.hpp"

#include "rescue/scan/host_path.hpp"
#include "rescue/util/ascii.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace kvmr::scan {
namespace {

std::optional<int> parse_int(std::string_view s, int lo, int hi) {
  int v = 0;
  const auto *end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || p != end || v < lo || v > hi) {
    return std::nullopt;
  }
  return v;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "1.2.3.4" -> its four octets.
std::optional<std::uint32_t> parse_ipv4(std::string_view s) {
  std::uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t dot = i < 3 ? s.find('.') : s.size();
    if (dot == std::string_view::npos || dot > 3) {
      return std::nullopt;
    }
    const auto octet = parse_int(s.substr(0, dot), 0, 255);
    if (!octet) {
      return std::nullopt;
    }
    out = (out << 8U) | static_cast<std::uint32_t>(*octet);
    s = i < 3 ? s.substr(dot + 1) : std::string_view();
  }
  return out;
}

// Keys PREFIX followed by a number (IPADDR0, DNS2), as (number, suffix) in
// numeric order.
std::vector<std::pair<int, std::string>> numbered(const ShellAssignments &v,
                                                  const std::string &prefix) {
  std::vector<std::pair<int, std::string>> out;
  for (auto it = v.values.lower_bound(prefix); it != v.values.end(); ++it) {
    const std::string &key = it->first;
    if (key.compare(0, prefix.size(), prefix) != 0) {
      break;
    }
    const std::string suffix = key.substr(prefix.size());
    if (all_digits(suffix) && suffix.size() <= 3) {
      if (const auto n = parse_int(suffix, 0, 999)) {
        out.emplace_back(*n, suffix);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string normalize_mac(std::string mac, const std::string &key, HostInterface &iface, int line) {
  mac = ascii_lower(std::move(mac));
  std::replace(mac.begin(), mac.end(), '-', ':');
  bool ok = mac.size() >= 17 && (mac.size() + 1) % 3 == 0;
  for (std::size_t i = 0; ok && i < mac.size(); ++i) {
    const char c = mac[i];
    ok = i % 3 == 2 ? c == ':' : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  if (!ok && !mac.empty()) {
    iface.warnings.push_back(SourceNote{iface.file, line, key + " is not a MAC address: " + mac});
  }
  return mac;
}

class Interpreter {
public:
  Interpreter(const ShellAssignments &v, const std::string &path) : v_(v) {
    i_.file = path;
    i_.warnings = v.warnings;
  }

  HostInterface run() {
    device();
    type();
    i_.name = v_.get("NAME");
    if (const auto b = boolean("ONBOOT")) {
      i_.onboot = *b;
    }
    bootproto();
    i_.hwaddr = normalize_mac(v_.get("HWADDR"), "HWADDR", i_, v_.line_of("HWADDR"));
    i_.macaddr = normalize_mac(v_.get("MACADDR"), "MACADDR", i_, v_.line_of("MACADDR"));
    addresses();
    i_.gateway = v_.get("GATEWAY");
    if (!i_.gateway.empty() && !parse_ipv4(i_.gateway)) {
      warn("GATEWAY", "GATEWAY is not an IPv4 address: " + i_.gateway);
    }
    for (const auto &[n, suffix] : numbered(v_, "DNS")) {
      if (const std::string d = v_.get("DNS" + suffix); !d.empty()) {
        i_.dns.push_back(d);
      }
    }
    i_.domain = v_.get("DOMAIN");
    i_.bridge = v_.get("BRIDGE");
    i_.master = v_.get("MASTER");
    i_.slave = boolean("SLAVE").value_or(false);
    if (i_.slave && i_.master.empty()) {
      warn("SLAVE", "SLAVE=yes without MASTER");
    }
    i_.bonding_opts = v_.get("BONDING_OPTS");
    vlan();
    if (v_.has("MTU")) {
      i_.mtu = parse_int(v_.get("MTU"), 68, 65536);
      if (!i_.mtu) {
        warn("MTU", "MTU is not a usable number: " + v_.get("MTU"));
      }
    }
    i_.nm_controlled = boolean("NM_CONTROLLED");
    i_.defroute = boolean("DEFROUTE");
    i_.ipv6init = boolean("IPV6INIT");
    i_.stp = boolean("STP");
    i_.delay = v_.get("DELAY");
    i_.hostname = v_.has("HOSTNAME") ? v_.get("HOSTNAME") : v_.get("DHCP_HOSTNAME");
    return std::move(i_);
  }

private:
  void warn(const std::string &key, std::string message) {
    i_.warnings.push_back(SourceNote{i_.file, v_.line_of(key), std::move(message)});
  }

  std::optional<bool> boolean(const std::string &key) {
    const std::string *s = v_.find(key);
    if (s == nullptr || s->empty()) {
      return std::nullopt;
    }
    const auto b = parse_shell_bool(*s);
    if (!b) {
      warn(key, key + " is neither yes nor no: " + *s);
    }
    return b;
  }

  void device() {
    const std::string base = basename(i_.file);
    const std::string from_name = base.rfind("ifcfg-", 0) == 0 ? base.substr(6) : base;
    i_.device = v_.get("DEVICE");
    if (i_.device.empty()) {
      i_.device = from_name;
    }
  }

  void type() {
    i_.type_text = v_.get("TYPE");
    const std::string t = ascii_lower(i_.type_text);
    const std::string &d = i_.device;
    const bool vlan_yes = parse_shell_bool(v_.get("VLAN")).value_or(false);
    if (t == "ethernet") {
      i_.type = vlan_yes ? InterfaceType::vlan : InterfaceType::ethernet;
    } else if (t == "bridge") {
      i_.type = InterfaceType::bridge;
    } else if (t == "bond") {
      i_.type = InterfaceType::bond;
    } else if (t == "vlan") {
      i_.type = InterfaceType::vlan;
    } else if (!t.empty()) {
      i_.type = InterfaceType::other;
    } else if (v_.has("BONDING_OPTS") ||
               parse_shell_bool(v_.get("BONDING_MASTER")).value_or(false) ||
               (d.rfind("bond", 0) == 0 && all_digits(d.substr(4)))) {
      i_.type = InterfaceType::bond;
    } else if (vlan_yes || d.find('.') != std::string::npos ||
               (d.rfind("vlan", 0) == 0 && all_digits(d.substr(4)))) {
      i_.type = InterfaceType::vlan;
    } else if ((d.rfind("br", 0) == 0 && all_digits(d.substr(2))) ||
               (d.rfind("virbr", 0) == 0 && all_digits(d.substr(5)))) {
      i_.type = InterfaceType::bridge;
      i_.warnings.push_back(
          SourceNote{i_.file, 0, "no TYPE=Bridge; taken as a bridge from its name " + d});
    }
  }

  void bootproto() {
    i_.bootproto_text = v_.get("BOOTPROTO");
    const std::string b = ascii_lower(i_.bootproto_text);
    if (b.empty()) {
      i_.bootproto = BootProto::unset;
    } else if (b == "dhcp") {
      i_.bootproto = BootProto::dhcp;
    } else if (b == "static") {
      i_.bootproto = BootProto::static_ip;
    } else if (b == "none") {
      i_.bootproto = BootProto::none;
    } else if (b == "bootp") {
      i_.bootproto = BootProto::bootp;
    } else {
      i_.bootproto = BootProto::other;
      warn("BOOTPROTO", "unknown BOOTPROTO: " + i_.bootproto_text);
    }
  }

  void address(const std::string &suffix, int index) {
    IpAddress a;
    a.address = v_.get("IPADDR" + suffix);
    a.index = index;
    if (a.address.empty()) {
      return;
    }
    const auto ip = parse_ipv4(a.address);
    if (!ip) {
      warn("IPADDR" + suffix, "IPADDR" + suffix + " is not an IPv4 address: " + a.address);
    }
    const std::string prefix_key = "PREFIX" + suffix;
    const std::string mask_key = "NETMASK" + suffix;
    std::optional<int> from_mask;
    if (const std::string m = v_.get(mask_key); !m.empty()) {
      from_mask = netmask_to_prefix(m);
      if (!from_mask) {
        warn(mask_key, mask_key + " is not a netmask: " + m);
      }
    }
    if (const std::string p = v_.get(prefix_key); !p.empty()) {
      a.prefix = parse_int(p, 0, 32);
      if (!a.prefix) {
        warn(prefix_key, prefix_key + " is not a prefix length: " + p);
      } else if (from_mask && *from_mask != *a.prefix) {
        warn(prefix_key, prefix_key + " and " + mask_key + " disagree; " + prefix_key + " wins");
      }
    }
    if (!a.prefix) {
      a.prefix = from_mask;
    }
    if (!a.prefix && ip) {
      const std::uint32_t first = *ip >> 24U;
      a.prefix = first < 128 ? 8 : first < 192 ? 16 : 24;
      warn("IPADDR" + suffix, "no " + prefix_key + " or " + mask_key + "; class-based /" +
                                  std::to_string(*a.prefix) + " assumed, as ipcalc does");
    }
    i_.addresses.push_back(std::move(a));
  }

  void addresses() {
    address("", -1);
    for (const auto &[n, suffix] : numbered(v_, "IPADDR")) {
      address(suffix, n);
    }
  }

  void vlan() {
    if (i_.type != InterfaceType::vlan) {
      return;
    }
    const std::string &d = i_.device;
    std::string id_text;
    if (const auto dot = d.rfind('.'); dot != std::string::npos) {
      i_.physdev = d.substr(0, dot);
      id_text = d.substr(dot + 1);
    } else if (d.rfind("vlan", 0) == 0) {
      id_text = d.substr(4);
    }
    if (v_.has("VLAN_ID")) {
      id_text = v_.get("VLAN_ID");
    }
    if (v_.has("PHYSDEV")) {
      i_.physdev = v_.get("PHYSDEV");
    }
    i_.vlan_id = parse_int(id_text, 0, 4095);
    if (!i_.vlan_id) {
      warn("VLAN_ID", "VLAN " + d + " has no usable VLAN id" +
                          (id_text.empty() ? std::string() : ": " + id_text));
    }
    if (i_.physdev.empty()) {
      warn("PHYSDEV", "VLAN " + d + " names no parent device (PHYSDEV)");
    }
  }

  const ShellAssignments &v_;
  HostInterface i_;
};

} // namespace

const char *to_string(InterfaceType t) {
  switch (t) {
  case InterfaceType::ethernet: return "ethernet";
  case InterfaceType::bridge: return "bridge";
  case InterfaceType::bond: return "bond";
  case InterfaceType::vlan: return "vlan";
  case InterfaceType::other: return "other";
  }
  return "other";
}

const char *to_string(BootProto p) {
  switch (p) {
  case BootProto::unset: return "";
  case BootProto::none: return "none";
  case BootProto::static_ip: return "static";
  case BootProto::dhcp: return "dhcp";
  case BootProto::bootp: return "bootp";
  case BootProto::other: return "other";
  }
  return "other";
}

std::optional<bool> parse_shell_bool(std::string_view v) {
  const std::string s = ascii_lower(std::string(v));
  if (s == "y" || s == "yes" || s == "t" || s == "true" || s == "on" || s == "1") {
    return true;
  }
  if (s == "n" || s == "no" || s == "f" || s == "false" || s == "off" || s == "0") {
    return false;
  }
  return std::nullopt;
}

std::optional<int> netmask_to_prefix(std::string_view netmask) {
  const auto m = parse_ipv4(netmask);
  if (!m) {
    return std::nullopt;
  }
  const std::uint32_t inv = ~*m;
  if ((inv & (inv + 1U)) != 0) {
    return std::nullopt; // ones not contiguous
  }
  int bits = 0;
  for (std::uint32_t x = *m; x != 0; x <<= 1U) {
    ++bits;
  }
  return bits;
}

HostInterface interpret_ifcfg(const ShellAssignments &vars, const std::string &path) {
  return Interpreter(vars, path).run();
}

HostInterface parse_ifcfg(std::string_view text, const std::string &path) {
  return interpret_ifcfg(parse_shell_assignments(text, path), path);
}

} // namespace kvmr::scan
