// A VM name from the old disk that libvirt would refuse (a newline, a
// control character, '/', bytes that are not UTF-8): the one renaming
// rule, and scan keeping the VM, under its safe name, with the files the
// old disk keeps under the old name (NVRAM default path, snapshots).
#include "rescue/scan/inventory.hpp"
#include "rescue/scan/vm_name.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

using namespace kvmr;

namespace {

void write(const std::string &path, const std::string &data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

std::string uefi_domain(const std::string &name, const std::string &uuid) {
  return "<domain type='kvm'>\n  <name>" + name + "</name>\n  <uuid>" + uuid +
         "</uuid>\n  <memory unit='KiB'>1048576</memory>\n  <vcpu>1</vcpu>\n"
         "  <os>\n    <type arch='x86_64' machine='pc-q35-rhel7.6.0'>hvm</type>\n"
         "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.secboot.fd</loader>\n"
         "  </os>\n  <devices/>\n</domain>\n";
}

const scan::VmInfo &vm_named(const scan::HostInventory &inv, const std::string &name) {
  const auto it = std::find_if(inv.vms.begin(), inv.vms.end(),
                               [&](const scan::VmInfo &v) { return v.name == name; });
  REQUIRE(it != inv.vms.end());
  return *it;
}

} // namespace

TEST_CASE("the renaming rule: control characters, '/' and non-UTF-8 bytes become '_'") {
  CHECK(scan::safe_vm_name("web01") == "web01");
  CHECK(scan::safe_vm_name("shop \"test\" $(x) ウェブ") == "shop \"test\" $(x) ウェブ");
  CHECK(scan::safe_vm_name("evil\n%end\r\tx") == "evil_%end__x");
  CHECK(scan::safe_vm_name("a/b") == "a_b");
  CHECK(scan::safe_vm_name("a\xe2\x80\xa8z") == "a_z"); // U+2028: one character, one '_'
  CHECK(scan::safe_vm_name("a\xc2\x85z") == "a_z");     // U+0085 (C1)
  CHECK(scan::safe_vm_name("a\xff\xfez") == "a__z");
  CHECK(scan::safe_vm_name("") == "vm");
  CHECK(scan::is_safe_vm_name("web01"));
  CHECK_FALSE(scan::is_safe_vm_name("web\n01"));
  CHECK(scan::unique_vm_name("a_b", {"a_b", "a_b-2"}) == "a_b-3");
  CHECK(scan::escaped_name("a\nb") == "a\\x0ab");
}

TEST_CASE("scan keeps a VM whose name holds a newline, under its safe name") {
  const test::TempDir dir;
  const std::string raw = "evil\n  %end\nclearpart --all";
  write(dir / "etc/libvirt/qemu/evil.xml",
        uefi_domain(raw, "3a5c7e1f-0000-4000-8000-000000000001"));
  // A VM that already has the safe name: the renamed one gets "-2".
  write(dir / "etc/libvirt/qemu/taken.xml",
        uefi_domain("evil_  %end_clearpart --all", "3a5c7e1f-0000-4000-8000-000000000002"));
  // Files the old host keeps under the old name.
  write(dir / ("var/lib/libvirt/qemu/nvram/" + raw + "_VARS.fd"), std::string(4096, 'v'));
  write(dir / ("var/lib/libvirt/qemu/snapshot/" + raw + "/before.xml"),
        "<domainsnapshot><name>before</name><domain><name>" + raw +
            "</name><uuid>"
            "3a5c7e1f-0000-4000-8000-000000000001</uuid></domain></domainsnapshot>\n");
  volume::MountedTree tree(dir.path().string());
  const scan::HostInventory inv = scan::build_inventory(tree, {});
  REQUIRE(inv.vms.size() == 2);
  const scan::VmInfo &vm = vm_named(inv, "evil_  %end_clearpart --all-2");
  CHECK(vm.original_name == raw);
  CHECK(scan::name_on_old_disk(vm) == raw);
  CHECK(vm.readiness == scan::Readiness::warnings);
  REQUIRE_FALSE(vm.reasons.empty());
  CHECK(vm.reasons.front().find("evil\\x0a  %end\\x0aclearpart") != std::string::npos);
  CHECK(vm.reasons.front().find("rescued as evil_  %end_clearpart --all-2") != std::string::npos);
  REQUIRE(vm.nvram.has_value());
  CHECK(vm.nvram->present); // found under the old name
  CHECK(std::find(vm.snapshots.begin(), vm.snapshots.end(), "before") != vm.snapshots.end());
  const scan::VmInfo &other = vm_named(inv, "evil_  %end_clearpart --all");
  CHECK(other.original_name.empty());
}
