// Guest inspection's pure parts: appliance device names back to the disks
// added, LV names to their VG, roots to VMs, and the disk checks made
// before a launch (real qemu-img images: relative and absolute backing
// names, a missing backing file).
#include "rescue/guestfs/guest_disks.hpp"
#include "rescue/guestfs/guest_inspect.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

using namespace kvmr::guestfs; // NOLINT(google-build-using-namespace)
using kvmr::test::sh;
using kvmr::test::TempDir;

namespace {

class FakeRunner final : public kvmr::CommandRunner {
public:
  kvmr::CommandResult result;
  std::vector<std::vector<std::string>> calls;
  kvmr::CommandResult run(const std::vector<std::string> &argv,
                          std::chrono::milliseconds /*timeout*/) override {
    calls.push_back(argv);
    return result;
  }
};

} // namespace

TEST_CASE("disk_index_of: the appliance's drive letters in add order") {
  CHECK(disk_index_of("/dev/sda") == 0U);
  CHECK(disk_index_of("/dev/sda1") == 0U);
  CHECK(disk_index_of("/dev/sdb") == 1U);
  CHECK(disk_index_of("/dev/sdb12") == 1U);
  CHECK(disk_index_of("/dev/sdz") == 25U);
  CHECK(disk_index_of("/dev/sdaa") == 26U);
  CHECK(disk_index_of("/dev/sdab3") == 27U);
  CHECK(disk_index_of("/dev/sdba") == 52U);
  CHECK(disk_index_of("/dev/sdzz") == 701U);
  CHECK(disk_index_of("/dev/sdaaa") == 702U);
  CHECK(disk_index_of("/dev/vda") == 0U);
  CHECK(disk_index_of("/dev/vdc2") == 2U);
  CHECK(disk_index_of("/dev/hdb1") == 1U);
  CHECK(disk_index_of("/dev/xvdd") == 3U);
}

TEST_CASE("disk_index_of: anything but a drive or its partition") {
  CHECK_FALSE(disk_index_of("/dev/sd").has_value());
  CHECK_FALSE(disk_index_of("/dev/sd1").has_value());
  CHECK_FALSE(disk_index_of("/dev/sdA").has_value());
  CHECK_FALSE(disk_index_of("/dev/sda1x").has_value());
  CHECK_FALSE(disk_index_of("/dev/sdaaaa").has_value());
  CHECK_FALSE(disk_index_of("/dev/centos/root").has_value());
  CHECK_FALSE(disk_index_of("/dev/md127").has_value());
  CHECK_FALSE(disk_index_of("/dev/mapper/centos-root").has_value());
  CHECK_FALSE(disk_index_of("sda1").has_value());
  CHECK_FALSE(disk_index_of("").has_value());
}

TEST_CASE("device_of_mountable: btrfs subvolumes name their device") {
  CHECK(device_of_mountable("btrfsvol:/dev/sda2/root") == "/dev/sda2");
  CHECK(device_of_mountable("btrfsvol:/dev/sdb/@/home") == "/dev/sdb");
  CHECK(device_of_mountable("/dev/sda1") == "/dev/sda1");
  CHECK(device_of_mountable("/dev/centos/root") == "/dev/centos/root");
}

TEST_CASE("lv_volume_group: /dev/VG/LV only") {
  CHECK(lv_volume_group("/dev/centos/root") == "centos");
  CHECK(lv_volume_group("/dev/my-vg/lv_root") == "my-vg");
  CHECK_FALSE(lv_volume_group("/dev/sda1").has_value());
  CHECK_FALSE(lv_volume_group("/dev/mapper/centos-root").has_value());
  CHECK_FALSE(lv_volume_group("/dev/md/root").has_value());
  CHECK_FALSE(lv_volume_group("/dev/centos/").has_value());
  CHECK_FALSE(lv_volume_group("/dev/a/b/c").has_value());
  CHECK_FALSE(lv_volume_group("centos/root").has_value());
}

TEST_CASE("attribute_roots: each root to the VM owning all its disks") {
  // Disks: 0,1 web01 (VM 0); 2 blank (VM 1); 3,4 host (VM 2).
  const std::vector<std::size_t> vm_of_disk = {0, 0, 1, 2, 2};
  const std::vector<FoundRoot> roots = {
      {"/dev/centos/root", {3, 4}}, // an LV over both of host's disks
      {"/dev/sdb1", {1}},           // web01's second disk
      {"/dev/sda1", {0}},           // web01's first disk: preferred
  };
  const auto a = attribute_roots(roots, vm_of_disk, 3);
  REQUIRE(a.roots_of_vm.size() == 3);
  CHECK(a.roots_of_vm[0] == std::vector<std::size_t>{2, 1});
  CHECK(a.roots_of_vm[1].empty());
  CHECK(a.roots_of_vm[2] == std::vector<std::size_t>{0});
  CHECK(a.unplaced.empty());
}

TEST_CASE("attribute_roots: a root across two VMs' disks, or on no known disk") {
  const std::vector<std::size_t> vm_of_disk = {0, 1};
  const std::vector<FoundRoot> roots = {{"/dev/centos/root", {0, 1}}, {"/dev/md127", {}}};
  const auto a = attribute_roots(roots, vm_of_disk, 2);
  CHECK(a.roots_of_vm[0].empty());
  CHECK(a.roots_of_vm[1].empty());
  CHECK(a.unplaced == std::vector<std::size_t>{0, 1});
}

TEST_CASE("attribute_roots: with one VM in the appliance every root is its own") {
  const std::vector<std::size_t> vm_of_disk = {4, 4};
  const std::vector<FoundRoot> roots = {{"/dev/md127", {}}, {"/dev/sdb1", {1}}};
  const auto a = attribute_roots(roots, vm_of_disk, 5);
  CHECK(a.roots_of_vm[4] == std::vector<std::size_t>{1, 0});
  CHECK(a.unplaced.empty());
}

TEST_CASE("parse_backing_chain: members, and absolute backing names noted") {
  const auto c = parse_backing_chain(R"([
    {"filename": "/t/mail01.qcow2", "format": "qcow2",
     "backing-filename": "/var/lib/libvirt/images/base.qcow2",
     "full-backing-filename": "/var/lib/libvirt/images/base.qcow2"},
    {"filename": "/var/lib/libvirt/images/base.qcow2", "format": "qcow2",
     "backing-filename": "raw.img", "full-backing-filename": "/var/lib/libvirt/images/raw.img"},
    {"filename": "/var/lib/libvirt/images/raw.img", "format": "raw"}])");
  CHECK(c.usable);
  CHECK(c.chain == std::vector<std::string>{"/t/mail01.qcow2", "/var/lib/libvirt/images/base.qcow2",
                                            "/var/lib/libvirt/images/raw.img"});
  REQUIRE(c.notes.size() == 1);
  CHECK(c.notes[0].find("absolute path /var/lib/libvirt/images/base.qcow2") != std::string::npos);
  CHECK_THROWS_AS(static_cast<void>(parse_backing_chain("[]")), kvmr::InputError);
  CHECK_THROWS_AS(static_cast<void>(parse_backing_chain("{")), kvmr::InputError);
  CHECK_THROWS_AS(static_cast<void>(parse_backing_chain(R"([{"format": "raw"}])")),
                  kvmr::InputError);
}

TEST_CASE("check_disk: raw images need only be readable") {
  const TempDir dir;
  sh("truncate -s 1M " + (dir / "disk.img"));
  FakeRunner runner;
  const auto ok = check_disk(runner, dir / "disk.img", "raw");
  CHECK(ok.usable);
  CHECK(ok.chain == std::vector<std::string>{dir / "disk.img"});
  CHECK(runner.calls.empty());
  const auto missing = check_disk(runner, dir / "nope.img", "raw");
  CHECK_FALSE(missing.usable);
  CHECK(missing.problem == (dir / "nope.img") + ": No such file or directory");
  const auto directory = check_disk(runner, dir.path().string(), "raw");
  CHECK_FALSE(directory.usable);
  CHECK(directory.problem.find("not a regular file or block device") != std::string::npos);
}

TEST_CASE("check_disk: qemu-img missing") {
  const TempDir dir;
  sh("truncate -s 1M " + (dir / "disk.qcow2"));
  FakeRunner runner;
  runner.result.not_found = true;
  const auto c = check_disk(runner, dir / "disk.qcow2", "qcow2");
  CHECK_FALSE(c.usable);
  CHECK(c.problem.find("qemu-img is not installed") != std::string::npos);
}

TEST_CASE("check_disk: qcow2 chains through the real qemu-img" * doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(kvmr::test::have("qemu-img"),
                   "qemu-img not installed (scripts/setup installs qemu-utils)");
  const TempDir dir;
  sh("cd " + dir.path().string() +
     " && qemu-img create -q -f qcow2 base.qcow2 16M"
     " && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2"
     " && qemu-img create -q -f qcow2 -u -b /nonexistent/kvmr/base.qcow2 -F qcow2 abs.qcow2 16M"
     " && qemu-img create -q -f qcow2 -b " +
     (dir / "base.qcow2") + " -F qcow2 abs-here.qcow2");
  kvmr::SystemCommandRunner runner;

  const auto rel = check_disk(runner, dir / "top.qcow2", "qcow2");
  CHECK(rel.usable);
  CHECK(rel.chain == std::vector<std::string>{dir / "top.qcow2", dir / "base.qcow2"});
  CHECK(rel.notes.empty());

  const auto abs = check_disk(runner, dir / "abs.qcow2", "qcow2");
  CHECK_FALSE(abs.usable);
  CHECK(abs.problem.find("cannot open it with its backing chain") != std::string::npos);
  CHECK(abs.problem.find("absolute path /nonexistent/kvmr/base.qcow2, the old host's own path") !=
        std::string::npos);

  const auto here = check_disk(runner, dir / "abs-here.qcow2", "qcow2");
  CHECK(here.usable);
  REQUIRE(here.notes.size() == 1);
  CHECK(here.notes[0].find("absolute path " + (dir / "base.qcow2")) != std::string::npos);

  // Inside an old host's tree ROOT: a relative chain stays in it and is
  // usable; an image or a backing file reached through a link whose
  // absolute target this machine follows out of ROOT is left out.
  const std::string root = dir / "root";
  sh("mkdir -p " + root + "/home/images " + root + "/var/lib/libvirt && cd " + root +
     "/home/images && qemu-img create -q -f qcow2 base.qcow2 16M"
     " && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2"
     " && qemu-img create -q -f qcow2 -u -b out-base.qcow2 -F qcow2 via-link.qcow2 16M"
     " && ln -s " +
     (dir / "base.qcow2") + " out-base.qcow2 && ln -s " + (dir / "top.qcow2") + " out-top.qcow2");
  const auto inside = check_disk(runner, root + "/home/images/top.qcow2", "qcow2", root);
  CHECK(inside.usable);
  CHECK(inside.chain.size() == 2);
  const auto out_top = check_disk(runner, root + "/home/images/out-top.qcow2", "qcow2", root);
  CHECK_FALSE(out_top.usable);
  CHECK(out_top.problem.find("leads out of the old host's tree") != std::string::npos);
  const auto out_backing = check_disk(runner, root + "/home/images/via-link.qcow2", "qcow2", root);
  CHECK_FALSE(out_backing.usable);
  CHECK(out_backing.problem.find("out-base.qcow2 leads out of the old host's tree") !=
        std::string::npos);
  CHECK(first_outside({root + "/home/../home/images/base.qcow2"}, root) == std::nullopt);
  CHECK(first_outside({dir / "base.qcow2"}, root) == dir / "base.qcow2");

  // A raw file declared qcow2 is not probed into something else.
  sh("truncate -s 1M " + (dir / "raw.img"));
  const auto wrong = check_disk(runner, dir / "raw.img", "qcow2");
  CHECK_FALSE(wrong.usable);
}

TEST_CASE("inspect_guests: VMs whose disks cannot be opened never reach an appliance") {
  const TempDir dir;
  FakeRunner runner;
  GuestInspectOptions opts;
  opts.runner = &runner;
  const auto r = inspect_guests({{"web01", dir / "gone.img", "raw", false, {}},
                                 {"web01", dir / "gone2.img", "raw", false, {}},
                                 {"mail 01", dir / "x.qcow2", "qcow2", false, {}}},
                                opts);
  REQUIRE(r.size() == 2);
  CHECK(r[0].vm == "web01");
  CHECK(r[0].state == InspectState::failed);
  CHECK(r[0].version().empty());
  CHECK(r[0].notes == std::vector<std::string>{
                          "disk left out: " + (dir / "gone.img") + ": No such file or directory",
                          "disk left out: " + (dir / "gone2.img") + ": No such file or directory",
                          "none of its disks can be opened here"});
  CHECK(r[1].vm == "mail 01");
  CHECK(r[1].state == InspectState::failed);
  CHECK(std::string(to_string(r[1].state)) == "failed");
  CHECK(inspect_guests({}, opts).empty());
}
