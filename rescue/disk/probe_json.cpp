// Probe result to JSON (see probe_json.hpp).
#include "rescue/disk/probe_json.hpp"

namespace kvmr::disk {
namespace {

using nlohmann::json;

json opt_bool(const std::optional<bool> &b) {
  return b.has_value() ? json(*b) : json(nullptr);
}

json fs_json(const Filesystem &f) {
  return json{{"probe", to_string(f.outcome)},
              {"type", f.type},
              {"usage", f.usage},
              {"uuid", f.uuid},
              {"label", f.label},
              {"version", f.version},
              {"role", f.role},
              {"checksum", to_string(f.checksum)},
              {"checksum_detail", f.checksum_detail},
              {"error", f.error}};
}

json partition_json(const Partition &p) {
  return json{{"number", p.number},
              {"start", p.start},
              {"size", p.size},
              {"type_code", p.type_code},
              {"type_name", p.type_name},
              {"name", p.name},
              {"uuid", p.uuid},
              {"bootable", p.bootable},
              {"attrs", p.attrs},
              {"filesystem", fs_json(p.fs)},
              {"state", to_string(p.state)},
              {"problems", p.problems}};
}

json boot_path_json(const BootPath &b) {
  json ev = json::array();
  for (const auto &e : b.evidence) {
    ev.push_back({{"item", e.item},
                  {"state", to_string(e.state)},
                  {"detail", e.detail},
                  {"problem", e.problem}});
  }
  return json{{"verdict", to_string(b.verdict)}, {"summary", b.summary}, {"evidence", ev}};
}

} // namespace

json to_json(const Disk &d) {
  json parts = json::array();
  for (const auto &p : d.table.partitions) {
    parts.push_back(partition_json(p));
  }
  return json{
      {"path", d.path},
      {"status", to_string(d.status)},
      {"error", d.error},
      {"size", d.size},
      {"logical_sector_size", d.logical_sector_size},
      {"physical_sector_size", d.physical_sector_size},
      {"device",
       {{"is_block_device", d.device.is_block_device},
        {"by_id", d.device.by_id},
        {"model", d.device.model},
        {"serial", d.device.serial},
        {"transport", d.device.transport},
        {"rotational", opt_bool(d.device.rotational)},
        {"removable", opt_bool(d.device.removable)},
        {"read_only", opt_bool(d.device.read_only)},
        {"loop_backing_file", d.device.loop_backing_file}}},
      {"smart", {{"status", to_string(d.smart.status)}, {"detail", d.smart.detail}}},
      {"partition_table",
       {{"type", d.table.type},
        {"id", d.table.id},
        {"partitions", parts},
        {"problems", d.table.problems}}},
      {"whole_disk", d.whole_disk ? fs_json(*d.whole_disk) : json(nullptr)},
      {"boot",
       {{"bios", boot_path_json(d.boot.bios)},
        {"uefi", boot_path_json(d.boot.uefi)},
        {"not_checked", d.boot.not_checked}}},
      {"problems", d.problems},
  };
}

json probe_report(const std::vector<Disk> &disks) {
  json arr = json::array();
  for (const auto &d : disks) {
    arr.push_back(to_json(d));
  }
  return json{
      {"schema_version", kProbeSchemaVersion}, {"kind", "kvm-rescue.probe"}, {"disks", arr}};
}

} // namespace kvmr::disk
