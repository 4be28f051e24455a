#include "kickstart/profile_build.hpp"
#include "rescue/plan/plan_layout.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace kvmr::kickstart {
namespace {

using nlohmann::json;

std::string str(const json &j, const char *a, const char *b = nullptr) {
  const json *p = &j;
  for (const char *k : {a, b}) {
    if (k == nullptr) {
      break;
    }
    if (!p->is_object() || !p->contains(k)) {
      return "";
    }
    p = &(*p)[k];
  }
  return p->is_string() ? p->get<std::string>() : "";
}

std::string netmask_of(int prefix) {
  const std::uint32_t m =
      prefix <= 0
          ? 0U
          : (prefix >= 32 ? 0xffffffffU : ~((1U << (32U - static_cast<unsigned>(prefix))) - 1U));
  return fmt::format("{}.{}.{}.{}", (m >> 24U) & 255U, (m >> 16U) & 255U, (m >> 8U) & 255U,
                     m & 255U);
}

// J[KEY] when J is an object holding it, else null (never a temporary).
const json &child(const json &j, const char *key) {
  static const json null;
  if (!j.is_object()) {
    return null;
  }
  const auto it = j.find(key);
  return it == j.end() ? null : *it;
}

const json *interface(const json &host, const std::string &device) {
  const json &ifs = child(child(host, "network"), "interfaces");
  if (!ifs.is_array()) {
    return nullptr;
  }
  for (const auto &i : ifs) {
    if (i.value("device", "") == device) {
      return &i;
    }
  }
  return nullptr;
}

// The address, gateway and DNS of DEVICE's ifcfg into N.
void addressing(const json &host, const std::string &device, NetDevice &n) {
  const json *i = interface(host, device);
  if (i == nullptr) {
    return;
  }
  n.onboot = i->value("onboot", true);
  const std::string proto = i->value("bootproto", "");
  const json &addrs = i->value("addresses", json::array());
  if (proto != "dhcp" && !addrs.empty() && !addrs[0].value("address", "").empty()) {
    n.dhcp = false;
    n.ip = addrs[0].value("address", "");
    const json &prefix = addrs[0]["prefix"];
    n.netmask = netmask_of(prefix.is_number_integer() ? prefix.get<int>() : 24);
  }
  n.gateway = i->value("gateway", "");
  for (const auto &d : i->value("dns", json::array())) {
    n.nameservers.push_back(d.get<std::string>());
  }
  if (i->contains("mtu") && (*i)["mtu"].is_number_integer()) {
    n.mtu = (*i)["mtu"].get<int>();
  }
}

// NICS: the user's map; MATCHED: found by MAC on this machine.
std::vector<NetDevice> network_of(const json &host, const std::map<std::string, std::string> &nics,
                                  const std::map<std::string, std::string> &matched,
                                  std::vector<std::string> &warnings) {
  std::vector<NetDevice> out;
  const json &net = host.value("network", json::object());
  std::set<std::string> ports;
  for (const auto &b : net.value("bridges", json::array())) {
    NetDevice n;
    n.device = b.value("device", "");
    for (const auto &p : b.value("ports", json::array())) {
      const std::string old = p.value("device", "");
      ports.insert(old);
      if (nics.contains(old)) {
        n.bridge_slaves.push_back(nics.at(old));
      } else if (matched.contains(old)) {
        n.bridge_slaves.push_back(matched.at(old));
      } else {
        n.bridge_slaves.push_back(old);
        warnings.push_back(fmt::format("bridge {} keeps port {}: the new machine's NIC may be "
                                       "named differently (map it with --nic {}=NEW)",
                                       n.device, old, old));
      }
    }
    addressing(host, n.device, n);
    if (!n.device.empty()) {
      out.push_back(n);
    }
  }
  for (const auto &i : net.value("interfaces", json::array())) {
    const std::string dev = i.value("device", "");
    const std::string type = i.value("type", "");
    if (ports.contains(dev) || type == "bridge" || !i.value("bridge", "").empty() ||
        i.value("slave", false) || type != "ethernet") {
      continue;
    }
    NetDevice n;
    const std::string mac = old_nic_mac(host, dev);
    if (nics.contains(dev)) {
      n.device = nics.at(dev);
    } else if (matched.contains(dev)) {
      n.device = matched.at(dev);
    } else if (!mac.empty()) {
      n.device = mac; // anaconda finds the card by its MAC, whatever its name
      warnings.push_back(fmt::format("NIC {} ({}) is not on this machine: the kickstart names it "
                                     "by its MAC; if the card did not move, map it with --nic "
                                     "{}=NEW",
                                     dev, mac, dev));
    } else {
      n.device = dev; // as before: a plain NIC without a MAC keeps its name
    }
    addressing(host, dev, n);
    out.push_back(n);
  }
  return out;
}

std::set<std::string> source_vgs(const plan::RescuePlan &plan) {
  std::set<std::string> vgs;
  for (const auto &it : plan.items) {
    if (it.kind == plan::ItemKind::lv_image) {
      vgs.insert(it.source.substr(0, it.source.find('/')));
    }
  }
  for (const auto &f : plan.host.value("fstab", json::array())) {
    const std::string spec = f.value("spec", "");
    if (spec.rfind("/dev/mapper/", 0) == 0) {
      const std::string rest = spec.substr(12);
      vgs.insert(rest.substr(0, rest.find('-')));
    } else if (spec.rfind("/dev/", 0) == 0 && std::count(spec.begin(), spec.end(), '/') == 3) {
      vgs.insert(spec.substr(5, spec.find('/', 5) - 5));
    }
  }
  return vgs;
}

DataDisk data_disk_of(const plan::RescuePlan &plan, const Overrides &o) {
  DataDisk d;
  d.mountpoint = plan.layout.images_dir;
  d.fstype = plan.target.fs_type;
  d.fs_uuid = plan.target.fs_uuid;
  if (o.data_stack && o.data_stack->kind != DataKind::partition) {
    const DataDisk &st = *o.data_stack;
    d.kind = st.kind;
    d.vg = st.vg;
    d.lv = st.lv;
    d.md = st.md;
    for (const auto &m : st.member_disks) {
      d.member_disks.push_back(by_id_name(m));
    }
    std::sort(d.member_disks.begin(), d.member_disks.end());
    d.member_disks.erase(std::unique(d.member_disks.begin(), d.member_disks.end()),
                         d.member_disks.end());
    if (d.member_disks.empty() || (d.kind == DataKind::lvm && (d.vg.empty() || d.lv.empty())) ||
        (d.kind == DataKind::md && d.md.empty())) {
      throw InputError(fmt::format("the plan's target {} is on {} data without its names or "
                                   "disks: give --data-disk ID and --data-partition ID",
                                   plan.target.path, to_string(d.kind)));
    }
    d.disk = o.data_disk ? by_id_name(*o.data_disk) : d.member_disks.front();
    return d;
  }
  if (o.data_disk) {
    d.disk = by_id_name(*o.data_disk);
  } else if (!plan.kickstart.data_disk.empty()) {
    d.disk = by_id_name(plan.kickstart.data_disk);
  } else if (plan.target.disk && !plan.target.disk->by_id.empty()) {
    d.disk = by_id_name(plan.target.disk->by_id.front());
  }
  if (o.data_partition) {
    d.partition = by_id_name(*o.data_partition);
  } else if (!d.disk.empty()) {
    d.partition = d.disk + "-part1"; // target preparation makes the data partition first
  }
  if (d.disk.empty() || d.partition.empty()) {
    throw InputError(fmt::format(
        "the plan's target {} has no /dev/disk/by-id name the installer could find it by: "
        "give the data disk with --data-disk ID (and --data-partition ID when it is not "
        "partition 1)",
        plan.target.path));
  }
  return d;
}

} // namespace

std::string by_id_name(const std::string &name) {
  for (const char *prefix : {"/dev/disk/by-id/", "disk/by-id/"}) {
    const std::string p(prefix);
    if (name.rfind(p, 0) == 0) {
      return "disk/by-id/" + name.substr(p.size());
    }
  }
  if (name.rfind("/dev/", 0) == 0) {
    return name.substr(5);
  }
  return name.find('/') == std::string::npos ? "disk/by-id/" + name : name;
}

namespace {

// The OS disk, by its by-id name when it has one.
void choose_os_disk(Profile &p, const plan::RescuePlan &plan, const Overrides &o) {
  const std::string os = o.os_disk.value_or(plan.kickstart.os_disk);
  if (os.empty()) {
    throw InputError("no OS disk: give the new OS disk with --os-disk (a /dev/disk/by-id "
                     "name; it need not be attached yet)");
  }
  p.os_disk = by_id_name(os);
  if (p.os_disk.rfind("disk/by-id/", 0) != 0) {
    p.warnings.push_back(fmt::format("the OS disk is named {} by its kernel name, which can "
                                     "change between boots; a /dev/disk/by-id name is safer",
                                     p.os_disk));
  }
}

// The installer wipes the OS disk: it may be neither a source nor a data disk.
void refuse_os_disk_conflicts(const Profile &p, const plan::RescuePlan &plan) {
  for (const auto &src : plan.sources) {
    for (const auto &id : src.by_id) {
      if (by_id_name(id) == p.os_disk) {
        throw InputError(fmt::format("the OS disk {} is the old host's disk {}: the installer "
                                     "would wipe it",
                                     p.os_disk, src.path));
      }
    }
  }
  for (const auto &d : disks_of(p.data_disks.front())) {
    if (p.os_disk == d) {
      throw InputError(
          fmt::format("the OS disk {} is the disk holding the rescued VMs", p.os_disk));
    }
  }
}

// An OS VG name no source disk and no data VG uses.
void choose_vg_name(Profile &p, const plan::RescuePlan &plan) {
  auto vgs = source_vgs(plan);
  if (p.data_disks.front().kind == DataKind::lvm) {
    vgs.insert(p.data_disks.front().vg);
  }
  for (int n = 1; vgs.contains(p.vg_name); ++n) {
    p.vg_name = fmt::format("kvmhost{}", n);
  }
}

// Hostname and bridges/NICs: the plan's choices, else the old host's.
void carry_network(Profile &p, const plan::RescuePlan &plan, const Overrides &o) {
  const auto &ks = plan.kickstart;
  const json &host = plan.host;
  p.hostname =
      o.hostname.value_or(!ks.hostname.empty() ? ks.hostname : str(host, "hostname", "name"));
  std::map<std::string, std::string> nics = ks.nic_map; // a value may be a MAC
  for (const auto &[k, v] : o.nic_map) {
    nics[k] = v;
  }
  const auto matched =
      o.local_nics ? match_nics_by_mac(host, *o.local_nics) : std::map<std::string, std::string>{};
  p.network = network_of(host, nics, matched, p.warnings);
}

// Time zone, locale, keyboard and SELinux mode as the old host had them.
void carry_locale(Profile &p, const plan::RescuePlan &plan) {
  const auto &ks = plan.kickstart;
  const json &host = plan.host;
  const std::string tz = !ks.timezone.empty() ? ks.timezone : str(host, "timezone", "name");
  if (!tz.empty() && tz != "unknown") {
    p.timezone = tz;
  }
  if (host.contains("timezone") && host["timezone"].value("utc", json()).is_boolean()) {
    p.utc = host["timezone"]["utc"].get<bool>();
  }
  const std::string lang = !ks.lang.empty() ? ks.lang : str(host, "locale", "lang");
  if (!lang.empty()) {
    p.lang = lang;
  }
  const std::string kb = !ks.keyboard.empty() ? ks.keyboard : str(host, "locale", "keymap");
  if (!kb.empty()) {
    p.keyboard = kb;
  }
  p.x11_layout = str(host, "locale", "x11_layout");
  const std::string sel = str(host, "selinux", "mode");
  if (sel == "enforcing" || sel == "permissive" || sel == "disabled") {
    p.selinux = sel;
  }
}

// The ways in: root's as the policy says (keep-old: the old host's hash
// and keys), one more key when given, and the old host's admin accounts
// and sudoers.d under every policy (the same people run the new host).
void carry_logins(Profile &p, const plan::RescuePlan &plan, const Overrides &o) {
  const auto &ks = plan.kickstart;
  p.root = parse_root_policy(o.root_password.value_or(ks.root_password));
  if (p.root == RootPolicy::keep_old) {
    p.root_hash = ks.old_logins.root_hash;
    p.root_keys = ks.old_logins.root_keys;
  } else if (p.root == RootPolicy::hash) {
    p.root_hash = o.root_password_hash.value_or(ks.root_password_hash);
  }
  const std::string key = o.ssh_key.value_or(ks.ssh_key);
  if (!key.empty() && std::find(p.root_keys.begin(), p.root_keys.end(), key) == p.root_keys.end()) {
    p.root_keys.push_back(key);
  }
  p.admins = ks.old_logins.admins;
  p.sudoers = ks.old_logins.sudoers;
  p.allow_no_login = o.allow_no_login;
}

} // namespace

Profile build_profile(const plan::RescuePlan &plan, const Overrides &o, const PayloadFacts &facts) {
  const auto &ks = plan.kickstart;
  Profile p;
  p.dialect = parse_dialect(o.dialect.value_or(ks.dialect));
  p.install_url = o.install_url.value_or(ks.install_source == "url" ? ks.install_url : "");
  choose_os_disk(p, plan, o);
  p.data_disks.push_back(data_disk_of(plan, o));
  refuse_os_disk_conflicts(p, plan);
  choose_vg_name(p, plan);
  carry_network(p, plan, o);
  carry_locale(p, plan);
  carry_logins(p, plan, o);
  p.uefi_guests = std::any_of(plan.items.begin(), plan.items.end(),
                              [](const auto &i) { return i.kind == plan::ItemKind::nvram; });
  p.payload_dir = plan.layout.images_dir + "/" + plan.layout.state_dir + "/payload";
  p.os_disk_bytes = o.os_disk_bytes.value_or(0);
  for (auto &w : guest_warnings(facts.guests, p.dialect)) {
    p.warnings.push_back(std::move(w));
  }
  return p;
}

namespace {

// Where the new host's libvirt looks for ITEM's variable store: the
// plan's placement (plan_layout.hpp place_nvram; the plan rewrites an
// <nvram> the XML names to match).
std::string nvram_on_new_host(const plan::PlanItem &i) {
  return plan::place_nvram(i.vm, i.source);
}

} // namespace

RestoreSpec build_restore_spec(const plan::RescuePlan &plan, Dialect d, const PayloadFacts &facts) {
  RestoreSpec s;
  s.dialect = d;
  s.firmware = firmware_moves(d);
  s.data_mount = plan.layout.images_dir;
  s.payload_dir = plan.layout.images_dir + "/" + plan.layout.state_dir + "/payload";
  const auto on_new_host = [&](const plan::PlanItem &i) {
    return plan.layout.images_dir + "/" + i.dest;
  };
  const auto stem = [](const std::string &path) {
    const auto slash = path.rfind('/');
    std::string f = path.substr(slash == std::string::npos ? 0 : slash + 1);
    const auto dot = f.rfind('.');
    return dot == std::string::npos ? f : f.substr(0, dot);
  };
  std::map<std::string, std::string> values; // uuid -> value file
  for (const auto &i : plan.items) {
    if (i.kind == plan::ItemKind::secret_value) {
      values[stem(i.source)] = on_new_host(i);
    }
  }
  for (const auto &i : plan.items) {
    switch (i.kind) {
    case plan::ItemKind::secret_xml: {
      const std::string uuid = stem(i.source);
      const auto v = values.find(uuid);
      s.secrets.push_back({uuid, on_new_host(i), v == values.end() ? "" : v->second});
      break;
    }
    case plan::ItemKind::pool_xml:
      s.pools.push_back({stem(i.source), on_new_host(i), i.autostart});
      break;
    case plan::ItemKind::network_xml:
      s.networks.push_back({stem(i.source), on_new_host(i), i.autostart});
      break;
    case plan::ItemKind::nvram: s.nvram.push_back({on_new_host(i), nvram_on_new_host(i)}); break;
    case plan::ItemKind::domain_xml:
      s.domains.push_back({i.vm, on_new_host(i), i.autostart});
      break;
    case plan::ItemKind::snapshot_xml: {
      RestoreSnapshot snap{i.vm, stem(i.source), on_new_host(i), ""};
      for (const auto &f : facts.snapshots) {
        if (f.domain == snap.domain && f.name == snap.name) {
          snap.parent = f.parent;
        }
      }
      s.snapshots.push_back(std::move(snap));
      break;
    }
    default: break;
    }
  }
  return s;
}

} // namespace kvmr::kickstart
