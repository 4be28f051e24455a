// flow::dir_data_disk with fabricated mountinfo and block-device facts:
// which by-id names a directory target's disk and partition get, which
// mount holds a nested directory, and the refusals (no by-id name, the
// root filesystem, not a block device, another UUID than planned).
#include "rescue/flow/dir_data_disk.hpp"

#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

namespace kvmr {
namespace {

target::MountEntry mount(unsigned major, unsigned minor, const std::string &mp,
                         const std::string &source, const std::string &type = "xfs") {
  return target::MountEntry{major, minor, std::string(1, '/'), mp, type, source, {}, {}};
}

// A machine with sda (root, sda1 and sda2), sdb (data, sdb1 and sdb2),
// sdc (sdc1 not mounted), loop0 (no by-id name) and dm-0 (LVM).
flow::BlockFacts machine() {
  flow::BlockFacts f;
  f.name_of = [](unsigned major, unsigned minor) -> std::string {
    static const std::map<std::pair<unsigned, unsigned>, std::string> names{
        {{8, 1}, "sda1"},    {{8, 2}, "sda2"},   {{8, 17}, "sdb1"},  {{8, 18}, "sdb2"},
        {{7, 0}, "loop0"},   {{253, 0}, "dm-0"}, {{253, 1}, "dm-1"}, {{253, 2}, "dm-2"},
        {{9, 127}, "md127"}, {{253, 3}, "dm-3"}, {{253, 4}, "dm-4"}, {{253, 6}, "dm-6"}};
    const auto it = names.find({major, minor});
    return it == names.end() ? std::string() : it->second;
  };
  f.name_of_path = [](const std::string &path) {
    return path.rfind("/dev/", 0) == 0 ? path.substr(5) : std::string();
  };
  f.name_of_uuid = [](const std::string &uuid) -> std::string {
    return uuid == "cccccccc-2222-3333-4444-555555555555" ? "sdc1" : "";
  };
  f.parent_of = [](const std::string &name) -> std::string {
    if (name.rfind("sd", 0) == 0 && name.size() > 3) {
      return name.substr(0, 3);
    }
    return {};
  };
  f.partition_number = [](const std::string &name) -> unsigned {
    return name.size() > 3 && name.rfind("sd", 0) == 0 ? static_cast<unsigned>(name[3] - '0') : 0U;
  };
  f.by_id_of = [](const std::string &name) -> std::vector<std::string> {
    if (name == "sda") {
      return {"/dev/disk/by-id/ata-ROOT_1"};
    }
    if (name == "sdc") {
      return {"/dev/disk/by-id/ata-THIRD_3"};
    }
    if (name == "sdb") { // unsorted on purpose: the first sorted is chosen
      return {"/dev/disk/by-id/wwn-0x5000c500a1b2c3d4", "/dev/disk/by-id/ata-DATA_2"};
    }
    static const std::map<std::string, std::vector<std::string>> more{
        {"sdd", {"/dev/disk/by-id/ata-PV_4"}},
        {"sde", {"/dev/disk/by-id/ata-PV_5"}},
        {"sdf", {"/dev/disk/by-id/wwn-0x6", "/dev/disk/by-id/ata-PV_6"}},
        {"sdg", {"/dev/disk/by-id/ata-MD_7"}},
        {"sdh", {"/dev/disk/by-id/ata-MD_8"}},
        {"sdi", {"/dev/disk/by-id/ata-CRYPT_9"}}};
    const auto it = more.find(name);
    return it == more.end() ? std::vector<std::string>{} : it->second;
  };
  f.is_stacked = [](const std::string &name) {
    return name.rfind("dm-", 0) == 0 || name.rfind("md", 0) == 0;
  };
  // dm-0: dm-crypt; dm-1: LV lv-b of VG vg-a on sdd1; dm-2: LV vms of VG
  // big on sde1 and the whole sdf; dm-3: on loop1 (no by-id name); dm-4:
  // on dm-5, dm-crypt on sdi1; md127 "data": sdg1 and sdh1; dm-6: LV on md127.
  f.slaves_of = [](const std::string &name) -> std::vector<std::string> {
    static const std::map<std::string, std::vector<std::string>> slaves{
        {"dm-0", {"sdc2"}}, {"dm-1", {"sdd1"}}, {"dm-2", {"sde1", "sdf"}},   {"dm-3", {"loop1"}},
        {"dm-4", {"dm-5"}}, {"dm-5", {"sdi1"}}, {"md127", {"sdg1", "sdh1"}}, {"dm-6", {"md127"}}};
    const auto it = slaves.find(name);
    return it == slaves.end() ? std::vector<std::string>{} : it->second;
  };
  f.dm_uuid_of = [](const std::string &name) -> std::string {
    static const std::map<std::string, std::string> uuids{
        {"dm-0", "CRYPT-LUKS2-0123456789abcdef-luks-data"},
        {"dm-1", "LVM-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
        {"dm-2", "LVM-cccccccc"},
        {"dm-3", "LVM-dddddddd"},
        {"dm-4", "LVM-eeeeeeee"},
        {"dm-5", "CRYPT-LUKS1-ffff-pv"},
        {"dm-6", "LVM-gggggggg"}};
    const auto it = uuids.find(name);
    return it == uuids.end() ? std::string() : it->second;
  };
  f.dm_name_of = [](const std::string &name) -> std::string {
    static const std::map<std::string, std::string> names{
        {"dm-0", "luks-data"},  {"dm-1", "vg--a-lv--b"}, {"dm-2", "big-vms"}, {"dm-3", "nopv-lv"},
        {"dm-4", "oncrypt-lv"}, {"dm-5", "pv"},          {"dm-6", "onmd-vms"}};
    const auto it = names.find(name);
    return it == names.end() ? std::string() : it->second;
  };
  f.md_array_of = [](const std::string &name) -> std::string {
    return name == "md127" ? "data" : "";
  };
  f.fs_uuid_of = [](const std::string &name) -> std::string {
    if (name == "sdb1") {
      return "11111111-2222-3333-4444-555555555555";
    }
    if (name == "sdb2") {
      return "66666666-2222-3333-4444-555555555555";
    }
    if (name == "loop0") {
      return "77777777-2222-3333-4444-555555555555";
    }
    return "aaaaaaaa-2222-3333-4444-555555555555";
  };
  return f;
}

std::vector<target::MountEntry> mounts() {
  return {mount(8, 1, "/", "/dev/sda1"),
          mount(0, 22, "/run", "tmpfs", "tmpfs"),
          mount(8, 17, "/mnt/new", "/dev/sdb1"),
          mount(8, 18, "/mnt/new/vms", "/dev/sdb2", "ext4"),
          mount(7, 0, "/mnt/img", "/dev/loop0"),
          mount(253, 0, "/mnt/lvm", "/dev/mapper/vg-data"),
          mount(253, 1, "/mnt/lv1", "/dev/mapper/vg--a-lv--b"),
          mount(253, 2, "/mnt/big", "/dev/mapper/big-vms"),
          mount(9, 127, "/mnt/md", "/dev/md127"),
          mount(253, 3, "/mnt/nopv", "/dev/mapper/nopv-lv"),
          mount(253, 4, "/mnt/oncrypt", "/dev/mapper/oncrypt-lv"),
          mount(253, 6, "/mnt/onmd", "/dev/mapper/onmd-vms"),
          mount(0, 45, "/mnt/btr", "/dev/sdb1", "btrfs")};
}

std::string error_of(const std::string &dir, const std::string &planned = "") {
  try {
    flow::dir_data_disk(dir, dir, mounts(), machine(), planned);
  } catch (const InputError &e) {
    return e.what();
  }
  return "(no error)";
}

bool has(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("a directory on a mounted partition with by-id names gets the first sorted one") {
  const auto d = flow::dir_data_disk("/mnt/new/", "/mnt/new", mounts(), machine(), "");
  CHECK(d.mount_point == "/mnt/new");
  CHECK(d.device == "/dev/sdb1");
  CHECK(d.fs_type == "xfs");
  CHECK(d.fs_uuid == "11111111-2222-3333-4444-555555555555");
  CHECK(d.disk == "/dev/disk/by-id/ata-DATA_2");
  CHECK(d.partition == "/dev/disk/by-id/ata-DATA_2-part1");
  // A directory below the mount point is on the same filesystem.
  const auto below = flow::dir_data_disk("/mnt/new/x/y", "/mnt/new/x/y", mounts(), machine(),
                                         "11111111-2222-3333-4444-555555555555");
  CHECK(below.partition == "/dev/disk/by-id/ata-DATA_2-part1");
}

TEST_CASE("the longest mount point holding the directory wins") {
  const auto d = flow::dir_data_disk("/mnt/new/vms/a", "/mnt/new/vms/a", mounts(), machine(), "");
  CHECK(d.mount_point == "/mnt/new/vms");
  CHECK(d.device == "/dev/sdb2");
  CHECK(d.fs_type == "ext4");
  CHECK(d.partition == "/dev/disk/by-id/ata-DATA_2-part2");
  // "/mnt/newer" is not below "/mnt/new": it is on the root filesystem.
  CHECK(flow::mount_holding(mounts(), "/mnt/newer")->mount_point == "/");
  // The same mount point twice: the last line is the one on top.
  auto twice = mounts();
  twice.push_back(mount(7, 0, "/mnt/new", "/dev/loop0"));
  CHECK(flow::mount_holding(twice, "/mnt/new")->source == "/dev/loop0");
}

TEST_CASE("a btrfs mount is found by its source device") {
  const auto d = flow::dir_data_disk("/mnt/btr", "/mnt/btr", mounts(), machine(), "");
  CHECK(d.device == "/dev/sdb1");
  CHECK(d.partition == "/dev/disk/by-id/ata-DATA_2-part1");
}

TEST_CASE("a filesystem without a by-id name is an error naming what was found") {
  const std::string e = error_of("/mnt/img/vms");
  CHECK(has(e, "/mnt/img/vms"));
  CHECK(has(e, "/dev/loop0"));
  CHECK(has(e, "xfs"));
  CHECK(has(e, "77777777-2222-3333-4444-555555555555"));
  CHECK(has(e, "no /dev/disk/by-id name"));
  CHECK(has(e, "--data-disk"));
}

TEST_CASE("a directory on the root filesystem is refused") {
  const std::string e = error_of("/srv/vms");
  CHECK(has(e, "/srv/vms"));
  CHECK(has(e, "root filesystem"));
  CHECK(has(e, "/dev/sda1"));
  CHECK(has(e, "disk of its own"));
}

TEST_CASE("a tmpfs, a device-mapper device and another UUID than planned are refused") {
  CHECK(has(error_of("/run/x"), "not on a block device"));
  const std::string crypt = error_of("/mnt/lvm");
  CHECK(has(crypt, "/dev/dm-0"));
  CHECK(has(crypt, "device-mapper"));
  CHECK(has(crypt, "dm-crypt (LUKS)"));
  const std::string other = error_of("/mnt/new", "99999999-2222-3333-4444-555555555555");
  CHECK(has(other, "99999999-2222-3333-4444-555555555555"));
  CHECK(has(other, "11111111-2222-3333-4444-555555555555"));
}

TEST_CASE("a directory not mounted (any more) is found by the plan's filesystem UUID") {
  const std::string planned = "cccccccc-2222-3333-4444-555555555555";
  // The empty mount point left on the root filesystem.
  const auto d = flow::dir_data_disk("/mnt/gone", "/mnt/gone", mounts(), machine(), planned);
  CHECK(d.device == "/dev/sdc1");
  CHECK(d.fs_uuid == planned);
  CHECK(d.mount_point.empty());
  CHECK(d.partition == "/dev/disk/by-id/ata-THIRD_3-part1");
  // A directory that does not exist here: no mounts to look at.
  CHECK(flow::dir_data_disk("/mnt/gone", "/mnt/gone", {}, machine(), planned).disk ==
        "/dev/disk/by-id/ata-THIRD_3");
  // The planned filesystem is not attached: on / is refused, nowhere is an error.
  const std::string absent = "dddddddd-2222-3333-4444-555555555555";
  const std::string on_root = error_of("/mnt/gone", absent);
  CHECK(has(on_root, "root filesystem"));
  CHECK(has(on_root, absent));
  std::string e;
  try {
    flow::dir_data_disk("/mnt/gone", "/mnt/gone", {}, machine(), absent);
  } catch (const InputError &x) {
    e = x.what();
  }
  CHECK(has(e, absent));
  CHECK(has(e, "--data-disk"));
}

TEST_CASE("LVM device-mapper names: doubled hyphens are one hyphen inside a name") {
  const auto a = flow::split_lvm_dm_name("vg--a-lv--b");
  CHECK(a.vg == "vg-a");
  CHECK(a.lv == "lv-b");
  CHECK(a.layer.empty());
  const auto plain = flow::split_lvm_dm_name("centos-root");
  CHECK(plain.vg == "centos");
  CHECK(plain.lv == "root");
  const auto layer = flow::split_lvm_dm_name("vg-pool-tpool");
  CHECK(layer.lv == "pool");
  CHECK(layer.layer == "tpool");
  const auto edge = flow::split_lvm_dm_name("a----b-c--");
  CHECK(edge.vg == "a--b");
  CHECK(edge.lv == "c-");
  CHECK_THROWS_AS(flow::split_lvm_dm_name("nohyphen"), InputError);
  CHECK_THROWS_AS(flow::split_lvm_dm_name("only--doubled"), InputError);
  CHECK_THROWS_AS(flow::split_lvm_dm_name("-lv"), InputError);
}

TEST_CASE("a directory on an LV with one PV: the VG, the LV and the PV's disk") {
  const auto d = flow::dir_data_disk("/mnt/lv1/vms", "/mnt/lv1/vms", mounts(), machine(), "");
  CHECK(d.stack == flow::DataStack::lvm);
  CHECK(d.device == "/dev/dm-1");
  CHECK(d.vg == "vg-a");
  CHECK(d.lv == "lv-b");
  CHECK(d.member_disks == std::vector<std::string>{"/dev/disk/by-id/ata-PV_4"});
  CHECK(d.disk == "/dev/disk/by-id/ata-PV_4");
  CHECK(d.partition.empty());
}

TEST_CASE("a VG over two disks (a partition and a whole disk): both disks") {
  const auto d = flow::dir_data_disk("/mnt/big", "/mnt/big", mounts(), machine(), "");
  CHECK(d.stack == flow::DataStack::lvm);
  CHECK(d.vg == "big");
  CHECK(d.lv == "vms");
  CHECK(d.member_disks ==
        std::vector<std::string>{"/dev/disk/by-id/ata-PV_5", "/dev/disk/by-id/ata-PV_6"});
  CHECK(d.disk == "/dev/disk/by-id/ata-PV_5");
}

TEST_CASE("an md array over two disks: its name and both disks") {
  const auto d = flow::dir_data_disk("/mnt/md", "/mnt/md", mounts(), machine(), "");
  CHECK(d.stack == flow::DataStack::md);
  CHECK(d.md == "data");
  CHECK(d.member_disks ==
        std::vector<std::string>{"/dev/disk/by-id/ata-MD_7", "/dev/disk/by-id/ata-MD_8"});
  CHECK(d.partition.empty());
  // An LV whose PV is that array: the array's disks.
  const auto onmd = flow::dir_data_disk("/mnt/onmd", "/mnt/onmd", mounts(), machine(), "");
  CHECK(onmd.stack == flow::DataStack::lvm);
  CHECK(onmd.vg == "onmd");
  CHECK(onmd.member_disks == d.member_disks);
}

TEST_CASE("an LV whose PV has no by-id name or is dm-crypt is refused, naming it") {
  const std::string nopv = error_of("/mnt/nopv");
  CHECK(has(nopv, "/mnt/nopv"));
  CHECK(has(nopv, "/dev/loop1"));
  CHECK(has(nopv, "no /dev/disk/by-id name"));
  const std::string oncrypt = error_of("/mnt/oncrypt");
  CHECK(has(oncrypt, "/dev/dm-5"));
  CHECK(has(oncrypt, "dm-crypt"));
}

} // namespace
} // namespace kvmr
