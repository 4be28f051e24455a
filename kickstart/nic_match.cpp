#include "kickstart/nic_match.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace kvmr::kickstart {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string first_line(const fs::path &p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

bool present(const fs::path &p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec)); // the link itself, as sysfs has it
}

// Every (device, MAC) the old host's profile names.
std::vector<std::pair<std::string, std::string>> old_macs(const json &host) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!host.is_object() || !host.contains("network") || !host["network"].is_object()) {
    return out;
  }
  const json &net = host["network"];
  for (const auto &i : net.value("interfaces", json::array())) {
    if (!i.is_object()) {
      continue;
    }
    std::string mac = normalize_mac(i.value("hwaddr", ""));
    if (mac.empty()) {
      mac = normalize_mac(i.value("macaddr", ""));
    }
    if (!mac.empty()) {
      out.emplace_back(i.value("device", ""), mac);
    }
  }
  for (const auto &b : net.value("bridges", json::array())) {
    for (const auto &p : b.value("ports", json::array())) {
      if (p.is_object()) {
        const std::string mac = normalize_mac(p.value("mac", ""));
        if (!mac.empty()) {
          out.emplace_back(p.value("device", ""), mac);
        }
      }
    }
  }
  return out;
}

} // namespace

std::string normalize_mac(std::string_view mac) {
  if (mac.size() != 17) {
    return "";
  }
  std::string out;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    const char c = mac[i];
    if (i % 3 == 2) {
      if (c != ':' && c != '-') {
        return "";
      }
      out += ':';
    } else if (std::isxdigit(static_cast<unsigned char>(c)) != 0) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      return "";
    }
  }
  return out == "00:00:00:00:00:00" ? "" : out;
}

std::vector<LocalNic> read_local_nics(const std::string &sys_class_net) {
  std::vector<LocalNic> out;
  std::error_code ec;
  fs::directory_iterator it(sys_class_net, ec);
  if (ec) {
    return out;
  }
  for (const auto &e : it) {
    const fs::path &dir = e.path();
    const std::string name = dir.filename().string();
    // Virtual devices have no `device` link; bridges and bonds are
    // virtual, but a `bridge`/`bonding` directory says so plainly too.
    if (name == "lo" || !present(dir / "device") || present(dir / "bridge") ||
        present(dir / "bonding")) {
      continue;
    }
    std::string mac;
    if (present(dir / "bonding_slave" / "perm_hwaddr")) {
      mac = normalize_mac(first_line(dir / "bonding_slave" / "perm_hwaddr"));
    }
    if (mac.empty()) {
      mac = normalize_mac(first_line(dir / "address"));
    }
    if (!mac.empty()) {
      out.push_back({name, mac});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const LocalNic &a, const LocalNic &b) { return a.name < b.name; });
  return out;
}

std::map<std::string, std::string> match_nics_by_mac(const json &host,
                                                     const std::vector<LocalNic> &local) {
  std::map<std::string, std::string> out;
  for (const auto &[device, mac] : old_macs(host)) {
    if (device.empty() || out.contains(device)) {
      continue;
    }
    for (const auto &l : local) {
      if (normalize_mac(l.mac) == mac) {
        out[device] = l.name;
        break;
      }
    }
  }
  return out;
}

std::string old_nic_mac(const json &host, std::string_view device) {
  for (const auto &[d, mac] : old_macs(host)) {
    if (d == device) {
      return mac;
    }
  }
  return "";
}

} // namespace kvmr::kickstart
