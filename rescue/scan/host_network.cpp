// The old host's network as initscripts would bring it up: every
// /etc/sysconfig/network-scripts/ifcfg-* (not lo, not the backup names
// initscripts skips), interpreted, then tied together: bridges with their
// ports, bonds with their slaves, VLANs with their parents, the default
// gateway and the DNS servers.
#include "rescue/scan/host_profile_read.hpp"

#include <algorithm>
#include <sstream>

namespace kvmr::scan::detail {
namespace {

const std::string kScripts = "/etc/sysconfig/network-scripts";

bool ends_with(const std::string &s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// initscripts' network service ignores these (see its "is_ignored_file").
bool ignored_name(const std::string &name) {
  for (const char *suffix : {"~", ".bak", ".old", ".orig", ".rpmnew", ".rpmorig", ".rpmsave"}) {
    if (ends_with(name, suffix)) {
      return true;
    }
  }
  return false;
}

std::vector<HostInterface> read_interfaces(io::SourceTree &tree, std::vector<SourceNote> &notes) {
  std::vector<HostInterface> out;
  std::vector<io::DirEntry> entries;
  try {
    if (!tree.lstat(kScripts)) {
      notes.push_back(SourceNote{kScripts, 0, "not found; no interface configuration"});
      return out;
    }
    entries = tree.list(kScripts);
  } catch (const std::exception &e) {
    notes.push_back(SourceNote{kScripts, 0, std::string("cannot be listed: ") + e.what()});
    return out;
  }
  for (const io::DirEntry &e : entries) {
    if (e.name.rfind("ifcfg-", 0) != 0 || e.name == "ifcfg-lo") {
      continue;
    }
    const std::string path = kScripts + "/" + e.name;
    if (ignored_name(e.name)) {
      notes.push_back(SourceNote{path, 0, "ignored, as initscripts ignores backup names"});
      continue;
    }
    if (e.type != io::FileType::regular && e.type != io::FileType::symlink) {
      continue;
    }
    const auto text = read_text(tree, path, notes);
    if (!text) {
      continue;
    }
    HostInterface i = parse_ifcfg(*text, path);
    if (i.device == "lo") {
      continue;
    }
    notes.insert(notes.end(), i.warnings.begin(), i.warnings.end());
    out.push_back(std::move(i));
  }
  return out;
}

const HostInterface *find_device(const std::vector<HostInterface> &all, const std::string &device) {
  for (const HostInterface &i : all) {
    if (i.device == device) {
      return &i;
    }
  }
  return nullptr;
}

void relate(NetworkProfile &net, std::vector<SourceNote> &notes) {
  const auto &all = net.interfaces;
  for (const HostInterface &i : all) {
    if (i.type == InterfaceType::bridge) {
      BridgeInfo b{i.device, {}};
      for (const HostInterface &port : all) {
        if (port.bridge == i.device) {
          b.ports.push_back(BridgePort{port.device, port.mac()});
        }
      }
      net.bridges.push_back(std::move(b));
    } else if (i.type == InterfaceType::bond) {
      BondInfo b{i.device, i.bonding_opts, {}};
      for (const HostInterface &s : all) {
        if (s.master == i.device) {
          b.slaves.push_back(BridgePort{s.device, s.mac()});
        }
      }
      net.bonds.push_back(std::move(b));
    } else if (i.type == InterfaceType::vlan) {
      net.vlans.push_back(VlanInfo{i.device, i.vlan_id.value_or(-1), i.physdev});
      if (!i.physdev.empty() && find_device(all, i.physdev) == nullptr) {
        notes.push_back(SourceNote{i.file, 0, "VLAN parent " + i.physdev + " has no ifcfg file"});
      }
    }
  }
  for (const HostInterface &i : all) {
    const HostInterface *b = i.bridge.empty() ? nullptr : find_device(all, i.bridge);
    if (!i.bridge.empty() && (b == nullptr || b->type != InterfaceType::bridge)) {
      notes.push_back(
          SourceNote{i.file, 0, "BRIDGE=" + i.bridge + " names no bridge configured here"});
    }
    const HostInterface *m = i.master.empty() ? nullptr : find_device(all, i.master);
    if (!i.master.empty() && (m == nullptr || m->type != InterfaceType::bond)) {
      notes.push_back(
          SourceNote{i.file, 0, "MASTER=" + i.master + " names no bond configured here"});
    }
  }
}

void default_gateway(NetworkProfile &net, const ShellAssignments *sysconfig,
                     std::vector<SourceNote> &notes) {
  for (const HostInterface &i : net.interfaces) {
    if (i.gateway.empty() || !i.onboot || i.defroute == false) {
      continue;
    }
    if (net.gateway.address.empty()) {
      net.gateway = DefaultGateway{i.gateway, i.device, i.file};
    } else if (net.gateway.address != i.gateway) {
      notes.push_back(SourceNote{i.file, 0,
                                 "another default gateway " + i.gateway + " (" +
                                     net.gateway.address + " from " + net.gateway.source +
                                     " kept)"});
    }
  }
  if (net.gateway.address.empty() && sysconfig != nullptr) {
    if (std::string gw = sysconfig->get("GATEWAY"); !gw.empty()) {
      net.gateway =
          DefaultGateway{std::move(gw), sysconfig->get("GATEWAYDEV"), "/etc/sysconfig/network"};
    }
  }
}

void resolv_conf(io::SourceTree &tree, NetworkProfile &net, std::vector<SourceNote> &notes) {
  const bool need_dns = net.dns.empty();
  const auto text =
      read_text(tree, "/etc/resolv.conf", notes, need_dns ? IfMissing::note : IfMissing::quiet);
  if (!text) {
    return;
  }
  std::vector<std::string> servers;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    std::string value;
    words >> key;
    if (key == "nameserver" && (words >> value)) {
      servers.push_back(value);
    } else if ((key == "search" || key == "domain") && net.search.empty()) {
      while (words >> value) {
        net.search.push_back(value);
      }
    }
  }
  if (need_dns && !servers.empty()) {
    net.dns = std::move(servers);
    net.dns_source = "/etc/resolv.conf";
  }
}

} // namespace

NetworkProfile read_network(io::SourceTree &tree, const ShellAssignments *sysconfig,
                            std::vector<SourceNote> &notes) {
  NetworkProfile net;
  net.interfaces = read_interfaces(tree, notes);
  relate(net, notes);
  default_gateway(net, sysconfig, notes);
  for (const HostInterface &i : net.interfaces) {
    for (const std::string &d : i.dns) {
      if (std::find(net.dns.begin(), net.dns.end(), d) == net.dns.end()) {
        net.dns.push_back(d);
        if (net.dns_source.empty()) {
          net.dns_source = i.file;
        }
      }
    }
  }
  resolv_conf(tree, net, notes);
  if (sysconfig != nullptr && sysconfig->has("NETWORKING")) {
    net.networking = parse_shell_bool(sysconfig->get("NETWORKING"));
  }
  return net;
}

} // namespace kvmr::scan::detail
