// Hand-built inputs for the plan tests (see plan_fixture.hpp).
#include "unit/plan/plan_fixture.hpp"

namespace kvmr::test {

scan::ChainMember member(const std::string &path, scan::ImageFormat format, std::uint64_t allocated,
                         const std::string &backing_name, const std::string &backing_path) {
  scan::ChainMember m;
  m.path = path;
  m.real_path = path;
  m.exists = true;
  m.type = io::FileType::regular;
  m.size = format == scan::ImageFormat::raw ? 256 * MiB : allocated + MiB;
  m.allocated = allocated;
  m.format = format;
  m.virtual_size = format == scan::ImageFormat::raw ? 256 * MiB : GiB;
  m.backing_name = backing_name;
  m.backing_format = backing_name.empty() ? "" : "qcow2";
  m.backing_path = backing_path;
  return m;
}

scan::VmDisk file_disk(const std::string &target, std::vector<scan::ChainMember> members,
                       const std::string &type) {
  scan::VmDisk d;
  d.target = target;
  d.device = "disk";
  d.type = type;
  d.path = members.front().path;
  d.format =
      members.front().format ? std::string(scan::format_name(*members.front().format)) : "raw";
  scan::ImageChain c;
  c.members = std::move(members);
  c.depth = c.members.size();
  c.complete = true;
  for (const auto &m : c.members) {
    d.allocated += m.allocated;
  }
  d.virtual_size = *c.members.front().virtual_size;
  d.chain = std::move(c);
  return d;
}

scan::VmDisk lv_disk(const std::string &target, const std::string &lv, std::uint64_t size,
                     bool readable) {
  scan::VmDisk d;
  d.target = target;
  d.device = "disk";
  d.type = "block";
  d.path = "/dev/" + lv;
  d.format = "raw";
  d.lv = scan::LvFact{lv, size, readable, "loop_at_offset", {}};
  d.virtual_size = size;
  d.allocated = size;
  return d;
}

scan::VmInfo vm(const std::string &name, std::vector<scan::VmDisk> disks, scan::Readiness r) {
  scan::VmInfo v;
  v.name = name;
  v.uuid = "00000000-0000-4000-8000-" +
           std::string(12 - std::min<std::size_t>(12, name.size()), '0') + name.substr(0, 12);
  v.xml_path = "/etc/libvirt/qemu/" + name + ".xml";
  v.vcpus = 2;
  v.memory_bytes = 2 * GiB;
  v.files.push_back(v.xml_path);
  for (const auto &d : disks) {
    v.allocated += d.allocated;
    if (d.chain) {
      for (const auto &f : d.chain->files()) {
        v.files.push_back(f);
      }
    }
  }
  v.disks = std::move(disks);
  v.readiness = r;
  if (r != scan::Readiness::ready) {
    v.reasons.push_back(name + " has a problem");
  }
  return v;
}

scan::HostInventory story_inventory() {
  using scan::ImageFormat;
  scan::HostInventory inv;
  inv.profile.hostname = {"kvmhost01.example.jp", "/etc/hostname", false};
  inv.profile.timezone.name = "Asia/Tokyo";
  inv.profile.locale.lang = "ja_JP.UTF-8";
  inv.profile.locale.keymap = "jp106";
  scan::HostInterface br0;
  br0.file = "/etc/sysconfig/network-scripts/ifcfg-br0";
  br0.device = "br0";
  inv.profile.network.interfaces.push_back(br0);

  inv.vms.push_back(
      vm("web01", {file_disk("vda", {member(kImages + "/web01.img", ImageFormat::raw, 4 * MiB)})}));
  inv.vms.back().autostart = true;
  inv.vms.push_back(vm(
      "mail01",
      {file_disk("vda", {member(kImages + "/mail01.qcow2", ImageFormat::qcow2, 2 * MiB,
                                kImages + "/centos7-base.qcow2", kImages + "/centos7-base.qcow2"),
                         member(kImages + "/centos7-base.qcow2", ImageFormat::qcow2, 3 * MiB)})}));
  scan::VmInfo app = vm(
      "app01", {file_disk("vda", {member(kImages + "/app01.qcow2", ImageFormat::qcow2, 2 * MiB)})});
  app.uefi = true;
  app.autostart = true;
  app.nvram = scan::VmNvram{"/var/lib/libvirt/qemu/nvram/app01_VARS.fd", true, 128 * 1024};
  inv.vms.push_back(app);

  scan::NetworkFile net;
  net.path = "/etc/libvirt/qemu/networks/default.xml";
  net.network = scan::Network{};
  net.network->name = "default";
  net.autostart = true;
  inv.libvirt.networks.push_back(net);

  scan::PoolFile pool;
  pool.path = "/etc/libvirt/storage/default.xml";
  pool.pool = scan::StoragePool{};
  pool.pool->name = "default";
  pool.pool->type = "dir";
  pool.pool->target_path = kImages;
  pool.autostart = true;
  inv.libvirt.pools.push_back(pool);

  scan::SecretFile secret;
  secret.path = "/etc/libvirt/secrets/6c1d9a3e-0b4f-4a7e-9f00-000000000001.xml";
  secret.secret = scan::Secret{};
  secret.value_present = true;
  secret.value_size = 44;
  inv.libvirt.secrets.push_back(secret);

  scan::SnapshotFile snap;
  snap.path = "/var/lib/libvirt/qemu/snapshot/web01/before-update.xml";
  snap.domain_dir = "web01";
  inv.libvirt.snapshots.push_back(snap);
  inv.vms.front().snapshots.emplace_back("before-update");
  return inv;
}

target::TargetInfo dir_target(std::uint64_t capacity) {
  target::TargetInfo t;
  t.kind = target::Kind::directory;
  t.path = "/mnt/newdisk";
  t.capacity = capacity;
  t.fs_uuid = "11111111-2222-3333-4444-555555555555";
  t.fs_type = "xfs";
  return t;
}

disk::Disk gpt_disk(const std::string &path, std::uint64_t size, const std::string &table_id,
                    const std::vector<std::string> &partuuids,
                    const std::vector<std::string> &fs_uuids, const std::string &serial) {
  disk::Disk d;
  d.path = path;
  d.status = disk::DiskStatus::ok;
  d.size = size;
  d.device.serial = serial;
  d.table.type = "gpt";
  d.table.id = table_id;
  for (std::size_t i = 0; i < partuuids.size(); ++i) {
    disk::Partition p;
    p.number = i + 1;
    p.uuid = partuuids[i];
    if (i < fs_uuids.size()) {
      p.fs.outcome = disk::ProbeOutcome::found;
      p.fs.type = "xfs";
      p.fs.uuid = fs_uuids[i];
    }
    d.table.partitions.push_back(p);
  }
  return d;
}

} // namespace kvmr::test
