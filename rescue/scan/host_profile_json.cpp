// The host profile as JSON, for the scan report and the plan. Enums are
// their to_string() names; absent optionals are null. The profile holds no
// secret, so nothing here needs filtering.
#include "rescue/scan/host_profile.hpp"

namespace kvmr::scan {
namespace {

using nlohmann::json;

template <typename T> json opt(const std::optional<T> &v) {
  return v ? json(*v) : json(nullptr);
}

json to_json(const SourceNote &n) {
  return json{{"file", n.file}, {"line", n.line}, {"message", n.message}};
}

json notes_json(const std::vector<SourceNote> &notes) {
  json a = json::array();
  for (const SourceNote &n : notes) {
    a.push_back(to_json(n));
  }
  return a;
}

json ports_json(const std::vector<BridgePort> &ports) {
  json a = json::array();
  for (const BridgePort &p : ports) {
    a.push_back(json{{"device", p.device}, {"mac", p.mac}});
  }
  return a;
}

json network_json(const NetworkProfile &n) {
  json j;
  j["interfaces"] = json::array();
  for (const HostInterface &i : n.interfaces) {
    j["interfaces"].push_back(to_json(i));
  }
  j["bridges"] = json::array();
  for (const BridgeInfo &b : n.bridges) {
    j["bridges"].push_back(json{{"device", b.device}, {"ports", ports_json(b.ports)}});
  }
  j["bonds"] = json::array();
  for (const BondInfo &b : n.bonds) {
    j["bonds"].push_back(json{
        {"device", b.device}, {"bonding_opts", b.bonding_opts}, {"slaves", ports_json(b.slaves)}});
  }
  j["vlans"] = json::array();
  for (const VlanInfo &v : n.vlans) {
    j["vlans"].push_back(json{{"device", v.device}, {"id", v.id}, {"parent", v.parent}});
  }
  j["gateway"] = json{
      {"address", n.gateway.address}, {"device", n.gateway.device}, {"source", n.gateway.source}};
  j["dns"] = n.dns;
  j["dns_source"] = n.dns_source;
  j["search"] = n.search;
  j["networking"] = opt(n.networking);
  return j;
}

} // namespace

json to_json(const HostInterface &i) {
  json addrs = json::array();
  for (const IpAddress &a : i.addresses) {
    addrs.push_back(json{{"address", a.address}, {"prefix", opt(a.prefix)}, {"index", a.index}});
  }
  return json{{"file", i.file},
              {"device", i.device},
              {"name", i.name},
              {"type", to_string(i.type)},
              {"type_text", i.type_text},
              {"onboot", i.onboot},
              {"bootproto", to_string(i.bootproto)},
              {"bootproto_text", i.bootproto_text},
              {"hwaddr", i.hwaddr},
              {"macaddr", i.macaddr},
              {"addresses", addrs},
              {"gateway", i.gateway},
              {"dns", i.dns},
              {"domain", i.domain},
              {"bridge", i.bridge},
              {"master", i.master},
              {"slave", i.slave},
              {"bonding_opts", i.bonding_opts},
              {"vlan_id", opt(i.vlan_id)},
              {"physdev", i.physdev},
              {"mtu", opt(i.mtu)},
              {"nm_controlled", opt(i.nm_controlled)},
              {"defroute", opt(i.defroute)},
              {"ipv6init", opt(i.ipv6init)},
              {"stp", opt(i.stp)},
              {"delay", i.delay},
              {"hostname", i.hostname},
              {"warnings", notes_json(i.warnings)}};
}

json to_json(const HostProfile &p) {
  json j;
  j["hostname"] = json{
      {"name", p.hostname.name}, {"source", p.hostname.source}, {"fallback", p.hostname.fallback}};
  j["os"] = json{{"release_line", p.os.release_line},
                 {"release_file", p.os.release_file},
                 {"id", p.os.id},
                 {"version_id", p.os.version_id},
                 {"name", p.os.name},
                 {"pretty_name", p.os.pretty_name}};
  j["network"] = network_json(p.network);
  j["timezone"] =
      json{{"name", p.timezone.name}, {"source", p.timezone.source}, {"utc", opt(p.timezone.utc)}};
  j["locale"] = json{{"lang", p.locale.lang},
                     {"lc", p.locale.lc},
                     {"keymap", p.locale.keymap},
                     {"font", p.locale.font},
                     {"x11_layout", p.locale.x11_layout}};
  j["selinux"] = json{{"mode", p.selinux.mode}, {"type", p.selinux.type}};
  j["services"] = json::array();
  for (const EnabledService &s : p.services) {
    j["services"].push_back(json{{"unit", s.unit}, {"wanted_by", s.wanted_by}, {"link", s.link}});
  }
  j["masked"] = p.masked;
  j["fstab"] = json::array();
  for (const volume::FstabEntry &e : p.fstab) {
    j["fstab"].push_back(json{{"spec", e.spec},
                              {"mountpoint", e.mountpoint},
                              {"fstype", e.fstype},
                              {"options", e.options},
                              {"line", e.line}});
  }
  j["kickstart"] = json{{"present", p.kickstart.present},
                        {"size", p.kickstart.size},
                        {"lines", p.kickstart.lines},
                        {"rootpw", p.kickstart.rootpw},
                        {"rootpw_iscrypted", p.kickstart.rootpw_iscrypted}};
  j["accounts"] = to_json(p.accounts);
  j["root_password"] =
      json{{"state", to_string(p.root_password.state)}, {"algorithm", p.root_password.algorithm}};
  j["notes"] = notes_json(p.notes);
  return j;
}

} // namespace kvmr::scan
