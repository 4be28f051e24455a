// build_profile / build_restore_spec on plans written by hand: what comes
// from the old host, what the plan's choices and the overrides change,
// and what is refused.
#include "kickstart/profile_build.hpp"

#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
using kvmr::InputError;
namespace plan = kvmr::plan;

namespace {

plan::RescuePlan story_plan() {
  plan::RescuePlan p;
  p.target.kind = plan::TargetKind::device;
  p.target.path = "/dev/sdc";
  plan::DiskIdentity disk;
  disk.path = "/dev/sdc";
  disk.by_id = {"/dev/disk/by-id/ata-DATA_HDD_W456"};
  p.target.disk = disk;
  plan::DiskIdentity src;
  src.path = "/dev/sdb";
  src.by_id = {"/dev/disk/by-id/ata-OLD_SSD_X1"};
  p.sources.push_back(src);
  p.kickstart.os_disk = "ata-NEW_SSD_S123";
  p.host = nlohmann::json::parse(R"({
    "hostname": {"name": "kvmhost01.example.jp"},
    "timezone": {"name": "Asia/Tokyo", "utc": true},
    "locale": {"lang": "ja_JP.UTF-8", "keymap": "jp106", "x11_layout": "jp"},
    "selinux": {"mode": "permissive"},
    "fstab": [{"spec": "/dev/mapper/centos-root"}, {"spec": "/dev/mapper/kvmhost-data"}],
    "network": {
      "bridges": [{"device": "br0", "ports": [{"device": "eth0", "mac": "52:54:00:aa:bb:cc"}]}],
      "interfaces": [
        {"device": "br0", "type": "bridge", "bootproto": "static", "onboot": true,
         "addresses": [{"address": "192.168.10.5", "prefix": 24}], "gateway": "192.168.10.1",
         "dns": ["192.168.10.1"]},
        {"device": "eth0", "type": "ethernet", "bridge": "br0"},
        {"device": "eth1", "type": "ethernet", "bootproto": "dhcp", "onboot": false}
      ]}
  })");
  const auto item = [](plan::ItemKind k, std::string vm, std::string src_path, std::string dest,
                       bool autostart) {
    plan::PlanItem i;
    i.kind = k;
    i.vm = std::move(vm);
    i.source = std::move(src_path);
    i.dest = std::move(dest);
    i.autostart = autostart;
    return i;
  };
  const std::string pl = "kvm-rescue/payload";
  p.items.push_back(item(plan::ItemKind::secret_value, "", "/etc/libvirt/secrets/8f2b.base64",
                         pl + "/etc/libvirt/secrets/8f2b.base64", false));
  p.items.push_back(item(plan::ItemKind::secret_xml, "", "/etc/libvirt/secrets/8f2b.xml",
                         pl + "/etc/libvirt/secrets/8f2b.xml", false));
  p.items.push_back(item(plan::ItemKind::network_xml, "", "/etc/libvirt/qemu/networks/default.xml",
                         pl + "/etc/libvirt/qemu/networks/default.xml", true));
  p.items.push_back(item(plan::ItemKind::domain_xml, "app01", "/etc/libvirt/qemu/app01.xml",
                         pl + "/etc/libvirt/qemu/app01.xml", true));
  p.items.push_back(item(plan::ItemKind::nvram, "app01",
                         "/var/lib/libvirt/qemu/nvram/app01_VARS.fd",
                         pl + "/var/lib/libvirt/qemu/nvram/app01_VARS.fd", false));
  p.items.push_back(
      item(plan::ItemKind::lv_image, "db01", "centos/db01", "lv/centos-db01.img", false));
  return p;
}

} // namespace

TEST_CASE("the old host's profile carries over; the plan's target is the data disk") {
  const Profile p = build_profile(story_plan(), {});
  CHECK(p.dialect == Dialect::el7);
  CHECK(p.os_disk == "disk/by-id/ata-NEW_SSD_S123");
  REQUIRE(p.data_disks.size() == 1);
  CHECK(p.data_disks[0].disk == "disk/by-id/ata-DATA_HDD_W456");
  CHECK(p.data_disks[0].partition == "disk/by-id/ata-DATA_HDD_W456-part1");
  CHECK(p.hostname == "kvmhost01.example.jp");
  CHECK(p.timezone == "Asia/Tokyo");
  CHECK(p.lang == "ja_JP.UTF-8");
  CHECK(p.keyboard == "jp106");
  CHECK(p.x11_layout == "jp");
  CHECK(p.selinux == "permissive");
  CHECK(p.uefi_guests);
  // "centos" and "kvmhost" are taken on the old disk.
  CHECK(p.vg_name == "kvmhost1");
  REQUIRE(p.network.size() == 2);
  CHECK(p.network[0].device == "br0");
  CHECK(p.network[0].bridge_slaves == std::vector<std::string>{"eth0"});
  CHECK_FALSE(p.network[0].dhcp);
  CHECK(p.network[0].ip == "192.168.10.5");
  CHECK(p.network[0].netmask == "255.255.255.0");
  CHECK(p.network[1].device == "eth1");
  CHECK(p.network[1].dhcp);
  CHECK_FALSE(p.network[1].onboot);
  // The unmapped bridge port is worth a warning.
  CHECK(p.warnings.size() == 1);
}

TEST_CASE("overrides win over the plan") {
  Overrides o;
  o.dialect = "el9";
  o.os_disk = "/dev/disk/by-id/nvme-NEW_1";
  o.hostname = "newhost.example.jp";
  o.nic_map["eth0"] = "enp3s0";
  o.data_disk = "ata-OTHER";
  o.data_partition = "ata-OTHER-part3";
  const Profile p = build_profile(story_plan(), o);
  CHECK(p.dialect == Dialect::el9);
  CHECK(p.os_disk == "disk/by-id/nvme-NEW_1");
  CHECK(p.hostname == "newhost.example.jp");
  CHECK(p.network[0].bridge_slaves == std::vector<std::string>{"enp3s0"});
  CHECK(p.data_disks[0].partition == "disk/by-id/ata-OTHER-part3");
  CHECK(p.warnings.empty());
}

TEST_CASE("refusals: no OS disk, the OS disk is a source or the data disk, no data disk name") {
  auto pl = story_plan();
  pl.kickstart.os_disk.clear();
  CHECK_THROWS_WITH_AS(build_profile(pl, {}), doctest::Contains("--os-disk"), InputError);
  Overrides o;
  o.os_disk = "ata-OLD_SSD_X1";
  CHECK_THROWS_WITH_AS(build_profile(story_plan(), o), doctest::Contains("old host's disk"),
                       InputError);
  o.os_disk = "ata-DATA_HDD_W456";
  CHECK_THROWS_WITH_AS(build_profile(story_plan(), o), doctest::Contains("rescued VMs"),
                       InputError);
  pl = story_plan();
  pl.target.disk->by_id.clear();
  CHECK_THROWS_WITH_AS(build_profile(pl, {}), doctest::Contains("--data-disk"), InputError);
  // The answer file may name it (the wizard asks for an image target).
  pl.kickstart.data_disk = "ata-NEW_DATA_D1";
  CHECK(build_profile(pl, {}).data_disks.at(0).disk == "disk/by-id/ata-NEW_DATA_D1");
  Overrides flag;
  flag.data_disk = "ata-FLAG";
  CHECK(build_profile(pl, flag).data_disks.at(0).disk == "disk/by-id/ata-FLAG");
}

namespace {

plan::RescuePlan plan_with_logins() {
  auto pl = story_plan();
  auto &old = pl.kickstart.old_logins;
  old.root_hash = "$6$oldsalt$rootHASH";
  old.root_keys = {"ssh-ed25519 AAAAroot root@old"};
  old.admins.push_back({"alice", "Alice", "$6$s$aliceHASH", {"wheel"}, {"ssh-rsa AAAAalice a@b"}});
  old.sudoers.push_back({"10-admins", "alice ALL=(ALL) ALL\n"});
  return pl;
}

} // namespace

TEST_CASE("keep-old, the default, carries the old host's root hash, keys and admin accounts") {
  const auto pl = plan_with_logins();
  CHECK(pl.kickstart.root_password == "keep-old");
  const Profile p = build_profile(pl, {});
  CHECK(p.root == RootPolicy::keep_old);
  CHECK(p.root_hash == "$6$oldsalt$rootHASH");
  CHECK(p.root_keys == std::vector<std::string>{"ssh-ed25519 AAAAroot root@old"});
  REQUIRE(p.admins.size() == 1);
  CHECK(p.admins[0].hash == "$6$s$aliceHASH");
  CHECK(p.sudoers.at(0).name == "10-admins");
  // --ssh-key adds one more key for root.
  Overrides key;
  key.ssh_key = "ssh-ed25519 AAAAnew new@stick";
  CHECK(build_profile(pl, key).root_keys.size() == 2);
}

TEST_CASE("a new root password or a locked root replace root's old way in, not the admins") {
  Overrides hash;
  hash.root_password = "hash";
  hash.root_password_hash = "$6$new$HASH";
  const Profile p = build_profile(plan_with_logins(), hash);
  CHECK(p.root_hash == "$6$new$HASH");
  CHECK(p.root_keys.empty());
  CHECK(p.admins.size() == 1);
  Overrides locked;
  locked.root_password = "locked";
  const Profile l = build_profile(plan_with_logins(), locked);
  CHECK(l.root_hash.empty());
  CHECK(l.root_keys.empty());
  CHECK(l.sudoers.size() == 1);
  Overrides bad;
  bad.root_password = "copy";
  CHECK_THROWS_WITH_AS(build_profile(story_plan(), bad),
                       doctest::Contains("keep-old, hash or locked"), InputError);
}

TEST_CASE("data on an existing LV: every PV disk, and the OS VG gets another name") {
  auto pl = story_plan();
  pl.target.kind = plan::TargetKind::directory;
  pl.target.path = "/srv/vms";
  pl.target.disk.reset();
  Overrides o;
  DataDisk st;
  st.kind = DataKind::lvm;
  st.vg = "kvmhost1"; // the name the OS VG would get otherwise ("kvmhost" is the old host's)
  st.lv = "images";
  st.member_disks = {"/dev/disk/by-id/ata-PV_B", "/dev/disk/by-id/ata-PV_A",
                     "/dev/disk/by-id/ata-PV_B"};
  o.data_stack = st;
  const Profile p = build_profile(pl, o);
  const DataDisk &d = p.data_disks.at(0);
  CHECK(d.kind == DataKind::lvm);
  CHECK(d.vg == "kvmhost1");
  CHECK(d.lv == "images");
  CHECK(d.member_disks == std::vector<std::string>{"disk/by-id/ata-PV_A", "disk/by-id/ata-PV_B"});
  CHECK(d.disk == "disk/by-id/ata-PV_A");
  CHECK(d.partition.empty());
  CHECK(disks_of(d) == d.member_disks);
  CHECK(p.vg_name == "kvmhost2");
  // The OS disk may be none of the PVs' disks.
  o.os_disk = "ata-PV_B";
  CHECK_THROWS_WITH_AS(build_profile(pl, o), doctest::Contains("rescued VMs"), InputError);
  // An md array keeps its name; the OS VG keeps the usual one.
  Overrides md;
  DataDisk arr;
  arr.kind = DataKind::md;
  arr.md = "data";
  arr.member_disks = {"ata-MD_1", "ata-MD_2"};
  md.data_stack = arr;
  const Profile m = build_profile(pl, md);
  CHECK(m.data_disks.at(0).md == "data");
  CHECK(disks_of(m.data_disks.at(0)) ==
        std::vector<std::string>{"disk/by-id/ata-MD_1", "disk/by-id/ata-MD_2"});
  CHECK(m.vg_name == "kvmhost1");
  // Without disks or names it is refused.
  arr.member_disks.clear();
  md.data_stack = arr;
  CHECK_THROWS_WITH_AS(build_profile(pl, md), doctest::Contains("--data-disk"), InputError);
}

TEST_CASE("the restore spec lists the payload as the new host sees it") {
  const RestoreSpec s = build_restore_spec(story_plan(), Dialect::el7);
  const std::string pl = "/var/lib/libvirt/images/kvm-rescue/payload";
  REQUIRE(s.secrets.size() == 1);
  CHECK(s.secrets[0].uuid == "8f2b");
  CHECK(s.secrets[0].value_file == pl + "/etc/libvirt/secrets/8f2b.base64");
  REQUIRE(s.networks.size() == 1);
  CHECK(s.networks[0].name == "default");
  CHECK(s.networks[0].autostart);
  REQUIRE(s.domains.size() == 1);
  CHECK(s.domains[0].name == "app01");
  CHECK(s.domains[0].xml == pl + "/etc/libvirt/qemu/app01.xml");
  REQUIRE(s.nvram.size() == 1);
  CHECK(s.nvram[0].to == "/var/lib/libvirt/qemu/nvram/app01_VARS.fd");
  CHECK(by_id_name("/dev/disk/by-id/x") == "disk/by-id/x");
  CHECK(by_id_name("x") == "disk/by-id/x");
  CHECK(by_id_name("/dev/sdb") == "sdb");
}
