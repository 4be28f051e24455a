// JSON of the inventory (see inventory_json.hpp).
#include "rescue/scan/inventory_json.hpp"

#include "rescue/util/ascii.hpp"

namespace kvmr::scan {
namespace {

using nlohmann::json;

json problems_json(const std::vector<Problem> &ps) {
  json out = json::array();
  for (const auto &p : ps) {
    out.push_back({{"severity", std::string(severity_name(p.severity))}, {"message", p.message}});
  }
  return out;
}

json member_json(const ChainMember &m) {
  json j = {{"path", m.path},
            {"real_path", m.real_path},
            {"exists", m.exists},
            {"size", m.size},
            {"allocated", m.allocated},
            {"format", m.format ? std::string(format_name(*m.format)) : ""},
            {"declared_format", m.declared_format},
            {"virtual_size", m.virtual_size ? json(*m.virtual_size) : json(nullptr)},
            {"backing_name", m.backing_name},
            {"backing_format", m.backing_format},
            {"backing_path", m.backing_path},
            {"problems", problems_json(m.problems)}};
  if (m.qcow2) {
    j["qcow2_version"] = m.qcow2->version;
    j["cluster_size"] = m.qcow2->cluster_size;
  }
  if (m.data_file) {
    j["data_file"] = {{"name", m.data_file->name},
                      {"path", m.data_file->path},
                      {"exists", m.data_file->exists},
                      {"size", m.data_file->size},
                      {"allocated", m.data_file->allocated}};
  }
  return j;
}

json disk_json(const VmDisk &d) {
  json j = {{"target", d.target},
            {"device", d.device},
            {"type", d.type},
            {"path", d.path},
            {"format", d.format},
            {"readonly", d.readonly},
            {"medium_not_copied", d.eject},
            {"virtual_size", d.virtual_size},
            {"allocated", d.allocated},
            {"errors", d.errors},
            {"warnings", d.warnings}};
  j["chain"] = d.chain ? to_json(*d.chain) : json(nullptr);
  if (d.lv) {
    j["lv"] = {{"name", d.lv->name},
               {"size", d.lv->size},
               {"readable", d.lv->readable},
               {"access", d.lv->access},
               {"problems", d.lv->problems}};
  } else {
    j["lv"] = nullptr;
  }
  return j;
}

bool sensitive_key(const std::string &key) {
  const std::string k = ascii_lower(key);
  return k.find("password") != std::string::npos || k.find("secret") != std::string::npos ||
         k.find("passwd") != std::string::npos;
}

json libvirt_json(const LibvirtConfig &c) {
  json nets = json::array();
  for (const auto &n : c.networks) {
    json j = {{"file", n.path}, {"autostart", n.autostart}, {"error", n.error}};
    if (n.network) {
      j["name"] = n.network->name;
      j["uuid"] = n.network->uuid;
      j["forward_mode"] = n.network->forward_mode;
      j["bridge"] = n.network->bridge;
    }
    nets.push_back(j);
  }
  json pools = json::array();
  for (const auto &p : c.pools) {
    json j = {{"file", p.path}, {"autostart", p.autostart}, {"error", p.error}};
    if (p.pool) {
      j["name"] = p.pool->name;
      j["uuid"] = p.pool->uuid;
      j["type"] = p.pool->type;
      j["target_path"] = p.pool->target_path;
    }
    json vols = json::array();
    for (const auto &v : p.volumes) {
      vols.push_back(
          {{"name", v.name}, {"path", v.path}, {"size", v.size}, {"allocated", v.allocated}});
    }
    j["volumes"] = vols;
    pools.push_back(j);
  }
  json secrets = json::array();
  for (const auto &s : c.secrets) {
    json j = {{"file", s.path},
              {"error", s.error},
              {"value_present", s.value_present},
              {"value_size", s.value_size}};
    if (s.secret) {
      j["uuid"] = s.secret->uuid;
      j["usage_type"] = s.secret->usage_type;
      j["usage_id"] = s.secret->usage_id;
      j["private"] = s.secret->is_private;
      j["ephemeral"] = s.secret->ephemeral;
    }
    secrets.push_back(j);
  }
  json snaps = json::array();
  for (const auto &s : c.snapshots) {
    snaps.push_back({{"file", s.path},
                     {"domain", s.domain_dir},
                     {"name", s.snapshot ? s.snapshot->name : ""},
                     {"error", s.error}});
  }
  json conf = json::array();
  for (const auto &s : c.qemu_conf.settings) {
    conf.push_back({{"key", s.key},
                    {"value", sensitive_key(s.key) ? "<redacted>" : s.value},
                    {"line", s.line}});
  }
  return {{"networks", nets},
          {"pools", pools},
          {"secrets", secrets},
          {"snapshots", snaps},
          {"nwfilters", c.nwfilters},
          {"hooks", c.hooks},
          {"qemu_conf", {{"present", c.qemu_conf.present}, {"settings", conf}}}};
}

} // namespace

json to_json(const ImageChain &chain) {
  json members = json::array();
  for (const auto &m : chain.members) {
    members.push_back(member_json(m));
  }
  return {{"depth", chain.depth},
          {"complete", chain.complete},
          {"members", members},
          {"files", chain.files()},
          {"problems", problems_json(chain.problems)}};
}

json to_json(const VmInfo &vm) {
  json disks = json::array();
  for (const auto &d : vm.disks) {
    disks.push_back(disk_json(d));
  }
  json nvram = nullptr;
  if (vm.nvram) {
    nvram = {{"path", vm.nvram->path},
             {"present", vm.nvram->present},
             {"size", vm.nvram->size},
             {"named", vm.nvram->named}};
  }
  return {{"name", vm.name},
          {"original_name", vm.original_name},
          {"uuid", vm.uuid},
          {"xml_path", vm.xml_path},
          {"error", vm.error},
          {"autostart", vm.autostart},
          {"vcpus", vm.vcpus},
          {"memory_bytes", vm.memory_bytes},
          {"machine", vm.machine},
          {"firmware", vm.uefi ? "uefi" : "bios"},
          {"loader", vm.loader},
          {"nvram", nvram},
          {"disks", disks},
          {"networks", vm.networks},
          {"snapshots", vm.snapshots},
          {"readiness", to_string(vm.readiness)},
          {"reasons", vm.reasons},
          {"files", vm.files},
          {"allocated", vm.allocated},
          {"chain_depth", vm.chain_depth},
          {"guest", vm.guest ? json{{"state", vm.guest->state},
                                    {"os_type", vm.guest->os_type},
                                    {"distro", vm.guest->distro},
                                    {"product_name", vm.guest->product_name},
                                    {"version", vm.guest->version},
                                    {"hostname", vm.guest->hostname},
                                    {"root", vm.guest->root},
                                    {"notes", vm.guest->notes}}
                             : json(nullptr)}};
}

json to_json(const HostInventory &inv) {
  json vms = json::array();
  for (const auto &vm : inv.vms) {
    vms.push_back(to_json(vm));
  }
  return {{"host", to_json(inv.profile)},
          {"libvirt", libvirt_json(inv.libvirt)},
          {"vms", vms},
          {"warnings", inv.warnings}};
}

} // namespace kvmr::scan
