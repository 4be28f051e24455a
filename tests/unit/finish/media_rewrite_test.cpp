// Removable media, disks that are not on the old disk, and the newer
// <nvram> form, from scan through the plan to the rewritten domain XML:
// a domain as virt-manager writes one on CentOS 7 (tests/data/libvirt/
// domain-centos7-media.xml: host CD-ROM and floppy passthrough, an ISO
// that is there, an optional one that is not, an empty drive, NVRAM named
// by <source file=> outside libvirt's directory, behind a symlink), and
// one with every kind of disk the old disk does not hold. Expectations are read from the
// rewritten XML with xmllint's XPath and checked with virt-xml-validate.
#include "kickstart/shell_quote.hpp"
#include "rescue/finish/xml_rewrite.hpp"
#include "rescue/plan/plan_build.hpp"
#include "rescue/scan/inventory.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/plan/plan_fixture.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/libvirt_fixture.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace kvmr;

namespace {

const std::string kXml = "/etc/libvirt/qemu/shop-media.xml";

const scan::VmInfo &vm_named(const scan::HostInventory &inv, const std::string &name) {
  const auto it = std::find_if(inv.vms.begin(), inv.vms.end(),
                               [&](const scan::VmInfo &v) { return v.name == name; });
  REQUIRE(it != inv.vms.end());
  return *it;
}

const scan::VmDisk &disk_of(const scan::VmInfo &vm, const std::string &target) {
  const auto it = std::find_if(vm.disks.begin(), vm.disks.end(),
                               [&](const scan::VmDisk &d) { return d.target == target; });
  REQUIRE(it != vm.disks.end());
  return *it;
}

bool has(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool any_mentions(const std::vector<std::string> &v, const std::string &s) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string &x) { return x.find(s) != std::string::npos; });
}

// The old host: the CentOS 7 domain, its qcow2 disk, the ISO that is
// there and the NVRAM under /home. virtio-win.iso is not there.
void write_media_host(const test::TempDir &dir) {
  test::write_text(dir / kXml.substr(1),
                   test::read_text(test::libvirt_data("domain-centos7-media.xml")));
  std::filesystem::create_directories(dir / "var/lib/libvirt/images");
  test::sh("qemu-img create -q -f qcow2 " + dir / "var/lib/libvirt/images/shop-media.qcow2" +
           " 64M");
  test::write_text(dir / "var/lib/libvirt/images/CentOS-7-x86_64-Minimal-2009.iso",
                   std::string(64 * 1024, 'i'));
  // The store was moved away and linked back, by an absolute link that
  // leads nowhere on the rescue machine: it resolves inside the old root.
  test::write_text(dir / "srv/kvmr-moved-nvram/VARS.fd", std::string(128 * 1024, 'v'));
  std::filesystem::create_directories(dir / "home/vms");
  std::filesystem::create_symlink("/srv/kvmr-moved-nvram/VARS.fd",
                                  dir / "home/vms/shop-media_VARS.fd");
}

// xmllint's answer to an XPath over FILE (independent of our parser).
std::string xpath(const std::string &file, const std::string &expr) {
  std::string out = test::sh_out("xmllint --xpath " + kickstart::shell_quote(expr) + " " +
                                 kickstart::shell_quote(file));
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

} // namespace

TEST_CASE(
    "host CD-ROM and floppy passthrough, a missing ISO, NVRAM by <source file>: ready to rescue") {
  const test::TempDir dir;
  write_media_host(dir);
  volume::MountedTree tree(dir.path().string());
  const scan::HostInventory inv = scan::build_inventory(tree, {});
  const scan::VmInfo &vm = vm_named(inv, "shop-media");
  INFO(fmt::format("{}", fmt::join(vm.reasons, "\n")));
  CHECK(vm.readiness == scan::Readiness::warnings);
  CHECK(disk_of(vm, "sda").eject);       // /dev/cdrom
  CHECK(disk_of(vm, "fda").eject);       // /dev/fd0
  CHECK(disk_of(vm, "sdc").eject);       // the optional ISO that is not there
  CHECK_FALSE(disk_of(vm, "sdb").eject); // the ISO that is there is copied
  CHECK_FALSE(disk_of(vm, "sdd").eject); // an empty drive stays as it is
  CHECK(disk_of(vm, "sdd").warnings.empty());
  CHECK(any_mentions(vm.reasons, "/dev/cdrom"));
  CHECK(any_mentions(vm.reasons, "/dev/fd0"));
  CHECK(any_mentions(vm.reasons, "virtio-win.iso"));
  CHECK(has(vm.files, "/var/lib/libvirt/images/shop-media.qcow2"));
  CHECK(has(vm.files, "/var/lib/libvirt/images/CentOS-7-x86_64-Minimal-2009.iso"));
  CHECK_FALSE(has(vm.files, "/dev/cdrom"));
  REQUIRE(vm.nvram.has_value());
  CHECK(vm.nvram->path == "/home/vms/shop-media_VARS.fd");
  CHECK(vm.nvram->present);
  CHECK(vm.nvram->named);
  CHECK(has(vm.files, "/home/vms/shop-media_VARS.fd"));
  CHECK_FALSE(any_mentions(vm.reasons, "NVRAM"));
}

TEST_CASE(
    "the copied domain XML keeps the drives empty and names the NVRAM where the restore puts it") {
  const test::TempDir dir;
  write_media_host(dir);
  volume::MountedTree tree(dir.path().string());
  const scan::HostInventory inv = scan::build_inventory(tree, {});
  plan::PlanChoices ch;
  const plan::RescuePlan p = plan::build_plan(inv, {}, test::dir_target(), ch);

  const auto nvram = std::find_if(p.items.begin(), p.items.end(),
                                  [](const auto &i) { return i.kind == plan::ItemKind::nvram; });
  REQUIRE(nvram != p.items.end());
  CHECK(nvram->source == "/home/vms/shop-media_VARS.fd");
  CHECK(nvram->new_path == "/var/lib/libvirt/qemu/nvram/shop-media_VARS.fd");
  const auto iso = std::find_if(p.items.begin(), p.items.end(), [](const auto &i) {
    return i.source == "/var/lib/libvirt/images/CentOS-7-x86_64-Minimal-2009.iso";
  });
  CHECK(iso != p.items.end());

  std::vector<plan::PathRewrite> mine;
  std::copy_if(p.rewrites.begin(), p.rewrites.end(), std::back_inserter(mine),
               [](const auto &r) { return r.file == kXml; });
  CHECK(std::count_if(mine.begin(), mine.end(), [](const auto &r) { return r.eject; }) == 3);
  const finish::XmlRewriteResult r =
      finish::rewrite_domain_xml(test::read_text(dir / kXml.substr(1)), kXml, mine);
  CHECK(r.complete());
  const std::string out = dir / "rewritten.xml";
  test::write_text(out, r.text);
  test::require_valid(out, "domain");

  // Six drives as before; the cdrom that had its ISO keeps it, the others
  // have no <source> and are type='file' (an empty drive).
  CHECK(xpath(out, "count(//devices/disk)") == "6");
  CHECK(xpath(out, "count(//devices/disk[@device='cdrom' or @device='floppy'][source])") == "1");
  CHECK(xpath(out, "string(//disk[target/@dev='sdb']/source/@file)") ==
        "/var/lib/libvirt/images/CentOS-7-x86_64-Minimal-2009.iso");
  CHECK(xpath(out, "count(//disk[@type='block'])") == "0");
  CHECK(xpath(out, "string(//disk[target/@dev='vda']/source/@file)") ==
        "/var/lib/libvirt/images/shop-media.qcow2");
  CHECK(xpath(out, "string(/domain/os/nvram/source/@file)") ==
        "/var/lib/libvirt/qemu/nvram/shop-media_VARS.fd");
  CHECK(xpath(out, "string(/domain/os/nvram/@template)") == "/usr/share/OVMF/OVMF_VARS.fd");
}

TEST_CASE("disks that are not on the old disk are told apart from disks that are missing") {
  const test::TempDir dir;
  const std::string dom = R"(<domain type='kvm'>
  <name>kinds</name>
  <uuid>5b0d7e3c-8f1a-4c2b-9d4e-6a7b8c9d0e20</uuid>
  <memory unit='KiB'>1048576</memory>
  <os><type arch='x86_64' machine='pc-i440fx-rhel7.0.0'>hvm</type>
    <nvram type='network'><source protocol='iscsi' name='iqn.2013-07.com.example:iscsi-nopool/0'><host name='example.com' port='6000'/></source></nvram>
  </os>
  <devices>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw'/>
      <source protocol='rbd' name='pool/image'><host name='mon1.example.org' port='6321'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source dev='/dev/disk/by-id/ata-ST2000DM008-2FR102_ZFL0ABCD'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/other/data'/>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/scratch.qcow2' startupPolicy='optional'/>
      <target dev='vdd' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='raw'/>
      <source pool='san' volume='unit:0:0:1'/>
      <target dev='vde' bus='virtio'/>
    </disk>
  </devices>
</domain>
)";
  test::write_text(dir / "etc/libvirt/qemu/kinds.xml", dom);
  test::write_text(dir / "etc/libvirt/storage/san.xml", R"(<pool type='iscsi'>
  <name>san</name>
  <uuid>5b0d7e3c-8f1a-4c2b-9d4e-6a7b8c9d0e21</uuid>
  <source><host name='iscsi.example.com'/><device path='iqn.2013-06.com.example:iscsi-pool'/></source>
  <target><path>/dev/disk/by-path</path></target>
</pool>
)");
  // A domain whose LV of the source VG is gone stays not_ready.
  test::write_text(dir / "etc/libvirt/qemu/lost.xml", R"(<domain type='kvm'>
  <name>lost</name>
  <memory unit='KiB'>1048576</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='block' device='disk'><driver name='qemu' type='raw'/>
      <source dev='/dev/centos/lost'/><target dev='vda' bus='virtio'/></disk>
  </devices>
</domain>
)");
  test::require_valid(dir / "etc/libvirt/qemu/kinds.xml", "domain");
  volume::MountedTree tree(dir.path().string());
  const std::vector<scan::LvFact> lvs{{"centos/root", 8 << 20, true, "loop_at_offset", {}}};
  const scan::HostInventory inv = scan::build_inventory(tree, lvs);
  const scan::VmInfo &vm = vm_named(inv, "kinds");
  INFO(fmt::format("{}", fmt::join(vm.reasons, "\n")));
  CHECK(vm.readiness == scan::Readiness::warnings);
  CHECK(any_mentions(disk_of(vm, "vda").warnings, "network disk (rbd pool/image)"));
  CHECK(any_mentions(disk_of(vm, "vdb").warnings, "not among the source disks"));
  CHECK(any_mentions(disk_of(vm, "vdc").warnings, "/dev/other/data"));
  CHECK(any_mentions(disk_of(vm, "vdd").warnings, "startupPolicy='optional'"));
  CHECK(any_mentions(disk_of(vm, "vde").warnings, "iscsi pool \"san\""));
  CHECK(vm.files.size() == 1); // the domain XML only
  REQUIRE(vm.nvram.has_value());
  CHECK_FALSE(vm.nvram->present);
  CHECK(any_mentions(vm.reasons, "NVRAM is network storage (iscsi"));

  const scan::VmInfo &lost = vm_named(inv, "lost");
  CHECK(lost.readiness == scan::Readiness::not_ready);
  CHECK(any_mentions(lost.reasons, "/dev/centos/lost"));
}
