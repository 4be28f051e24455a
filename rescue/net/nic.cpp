// Network ports from sysfs and `ip -j -d addr show`.
#include "rescue/net/nic.hpp"

#include "rescue/util/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <system_error>

namespace kvmr::net {
namespace fs = std::filesystem;
namespace {

constexpr unsigned kIffUp = 0x1;     // IFF_UP: switched on
constexpr int kArphrdLoopback = 772; // ARPHRD_LOOPBACK in /sys/class/net/X/type
constexpr auto kIpTimeout = std::chrono::seconds(10);

// The first line of a sysfs attribute; "" when it cannot be read (carrier
// and speed fail with EINVAL while the port is down).
std::string attr(const fs::path &dir, const char *name) {
  std::ifstream in(dir / name);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return {};
  }
  return line;
}

std::optional<long long> attr_number(const fs::path &dir, const char *name, int base = 10) {
  std::string s = attr(dir, name);
  if (base == 16 && s.starts_with("0x")) {
    s.erase(0, 2);
  }
  long long v = 0;
  const auto *end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, v, base);
  if (s.empty() || r.ec != std::errc{} || r.ptr != end) {
    return std::nullopt;
  }
  return v;
}

std::string driver_of(const fs::path &dir) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(dir / "device" / "driver", ec);
  return ec ? std::string{} : target.filename().string();
}

// The kind as far as sysfs tells it; `ip -d` refines it (veth, macvlan...).
std::string sysfs_kind(const fs::path &dir, bool is_virtual) {
  std::error_code ec;
  if (fs::exists(dir / "bridge", ec)) {
    return "bridge";
  }
  if (fs::exists(dir / "bonding", ec)) {
    return "bond";
  }
  if (fs::exists(dir / "tun_flags", ec)) {
    return "tun";
  }
  if (fs::exists(dir / "wireless", ec) || fs::exists(dir / "phy80211", ec)) {
    return "wireless";
  }
  return is_virtual ? "virtual" : "ethernet";
}

LinkState link_state(const fs::path &dir) {
  const auto flags = attr_number(dir, "flags", 16);
  if (!flags || (static_cast<unsigned long long>(*flags) & kIffUp) == 0) {
    return LinkState::down;
  }
  return attr(dir, "carrier") == "1" ? LinkState::up : LinkState::no_carrier;
}

Nic read_nic(const fs::path &dir) {
  Nic n;
  n.name = dir.filename().string();
  n.mac = attr(dir, "address");
  std::transform(n.mac.begin(), n.mac.end(), n.mac.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n.mac == "00:00:00:00:00:00") {
    n.mac.clear();
  }
  std::error_code ec;
  n.is_virtual = !fs::exists(dir / "device", ec);
  n.driver = driver_of(dir);
  n.kind = sysfs_kind(dir, n.is_virtual);
  n.operstate = attr(dir, "operstate");
  n.link = link_state(dir);
  if (n.link == LinkState::up) {
    const auto speed = attr_number(dir, "speed");
    if (speed && *speed > 0 && *speed < 10'000'000) {
      n.speed_mbps = static_cast<int>(*speed);
    }
  }
  return n;
}

IpAddress parse_addr_info(const nlohmann::json &a) {
  IpAddress ip;
  const std::string family = a.value("family", "");
  ip.family = family == "inet6" ? 6 : 4;
  ip.address = a.value("local", "");
  ip.prefix = a.value("prefixlen", 0);
  ip.scope = a.value("scope", "");
  return ip;
}

} // namespace

std::string link_state_name(LinkState s) {
  switch (s) {
  case LinkState::up: return "up";
  case LinkState::no_carrier: return "no-carrier";
  case LinkState::down: return "down";
  }
  return "down";
}

std::vector<Nic> read_sysfs_nics(const fs::path &sys_class_net) {
  std::vector<Nic> nics;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(sys_class_net, ec)) {
    const fs::path &dir = e.path();
    if (!fs::is_directory(dir, ec) || dir.filename() == "lo" ||
        attr_number(dir, "type") == kArphrdLoopback) {
      continue;
    }
    nics.push_back(read_nic(dir));
  }
  if (ec) {
    throw SysError(sys_class_net.string(), "list network ports", ec.value());
  }
  std::sort(nics.begin(), nics.end(), [](const Nic &a, const Nic &b) { return a.name < b.name; });
  return nics;
}

std::map<std::string, IpLinkInfo> parse_ip_addr_json(const std::string &json_text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception &e) {
    throw InputError(std::string("ip -j addr: not JSON: ") + e.what());
  }
  if (!doc.is_array()) {
    throw InputError("ip -j addr: expected a list of links");
  }
  std::map<std::string, IpLinkInfo> out;
  for (const auto &link : doc) {
    if (!link.is_object() || !link.contains("ifname")) {
      continue;
    }
    IpLinkInfo info;
    if (link.contains("linkinfo") && link["linkinfo"].is_object()) {
      info.kind = link["linkinfo"].value("info_kind", "");
    }
    for (const auto &a : link.value("addr_info", nlohmann::json::array())) {
      if (a.is_object() && a.contains("local")) {
        info.addresses.push_back(parse_addr_info(a));
      }
    }
    out[link["ifname"].get<std::string>()] = std::move(info);
  }
  return out;
}

std::vector<Nic> list_nics(CommandRunner &runner, const fs::path &sys_class_net) {
  std::vector<Nic> nics = read_sysfs_nics(sys_class_net);
  const CommandResult r = runner.run({"ip", "-j", "-d", "addr", "show"}, kIpTimeout);
  if (r.exit_code != 0) {
    throw InputError("ip -j -d addr show failed: " +
                     (r.not_found ? std::string("ip is not installed (iproute2)") : r.err));
  }
  const auto info = parse_ip_addr_json(r.out);
  for (auto &n : nics) {
    const auto it = info.find(n.name);
    if (it == info.end()) {
      continue;
    }
    n.addresses = it->second.addresses;
    if (!it->second.kind.empty()) {
      n.kind = it->second.kind;
      n.is_virtual = true; // a link kind (veth, bridge, tun, vlan...) is made by software
    }
  }
  return nics;
}

const Nic *find_nic(const std::vector<Nic> &nics, const std::string &name) {
  const auto it =
      std::find_if(nics.begin(), nics.end(), [&](const Nic &n) { return n.name == name; });
  return it == nics.end() ? nullptr : &*it;
}

} // namespace kvmr::net
