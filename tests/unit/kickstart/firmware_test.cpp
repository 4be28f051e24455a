// Firmware moves and machine types per dialect, the payload's facts read
// back from real XML files, and what build_profile / build_restore_spec
// make of them.
#include "kickstart/firmware.hpp"
#include "kickstart/payload_facts.hpp"
#include "kickstart/profile_build.hpp"
#include "kickstart/render.hpp"

#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;
namespace plan = kvmr::plan;

TEST_CASE("firmware moves: none on EL7, into /usr/share/edk2/ovmf on EL8 and EL9") {
  CHECK(firmware_moves(Dialect::el7).empty());
  for (const Dialect d : {Dialect::el8, Dialect::el9}) {
    const auto moves = firmware_moves(d);
    bool code = false;
    bool vars = false;
    for (const auto &m : moves) {
      CHECK(m.to.rfind("/usr/share/edk2/ovmf/", 0) == 0);
      code = code || (m.from == "/usr/share/OVMF/OVMF_CODE.secboot.fd" &&
                      m.to == "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd");
      vars = vars || (m.from == "/usr/share/OVMF/OVMF_VARS.fd" &&
                      m.to == "/usr/share/edk2/ovmf/OVMF_VARS.fd");
    }
    CHECK(code);
    CHECK(vars);
  }
}

TEST_CASE("machine types the target's qemu-kvm may lack") {
  CHECK(machine_type_problem("pc-i440fx-rhel7.0.0", Dialect::el7).empty());
  CHECK(machine_type_problem("pc-i440fx-rhel7.0.0", Dialect::el8).empty());
  CHECK(machine_type_problem("pc-q35-rhel7.3.0", Dialect::el8).empty());
  CHECK_FALSE(machine_type_problem("pc-i440fx-rhel7.0.0", Dialect::el9).empty());
  CHECK_FALSE(machine_type_problem("pc-q35-rhel7.5.0", Dialect::el9).empty());
  CHECK(machine_type_problem("pc-i440fx-rhel7.6.0", Dialect::el9).empty());
  CHECK(machine_type_problem("pc-q35-rhel7.6.0", Dialect::el9).empty());
  CHECK(machine_type_problem("pc-q35-rhel8.2.0", Dialect::el9).empty());
  CHECK(machine_type_problem("pc", Dialect::el9).empty());
  CHECK(machine_type_problem("q35", Dialect::el9).empty());
  CHECK_FALSE(machine_type_problem("pc-i440fx-2.11", Dialect::el8).empty());
  CHECK_FALSE(machine_type_problem("rhel6.6.0", Dialect::el9).empty());
  CHECK(machine_type_problem("pc-i440fx-rhel7.0.0", Dialect::el9).find("pc-i440fx-rhel7.6.0") !=
        std::string::npos);
}

TEST_CASE("guest warnings name the VM, its machine type and its firmware") {
  const std::vector<GuestFacts> guests{{"old-bios", "pc-i440fx-rhel7.0.0", "", ""},
                                       {"efi01", "pc-q35-rhel7.6.0",
                                        "/usr/share/OVMF/OVMF_CODE.secboot.fd",
                                        "/usr/share/OVMF/OVMF_VARS.fd"},
                                       {"fine", "q35", "", ""}};
  CHECK(guest_warnings(guests, Dialect::el7).empty());
  const auto w = guest_warnings(guests, Dialect::el9);
  REQUIRE(w.size() == 2);
  CHECK(w[0].find("VM old-bios: machine type pc-i440fx-rhel7.0.0") == 0);
  CHECK(w[1].find("VM efi01: its UEFI firmware /usr/share/OVMF/OVMF_CODE.secboot.fd is "
                  "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd") == 0);
}

namespace {

struct PayloadDir {
  fs::path root = fs::absolute("payload-facts");
  PayloadDir() {
    fs::remove_all(root);
    fs::create_directories(root / "kvm-rescue/payload/etc/libvirt/qemu");
    fs::create_directories(root / "kvm-rescue/payload/var/lib/libvirt/qemu/snapshot/web01");
  }
  PayloadDir(const PayloadDir &) = delete;
  PayloadDir &operator=(const PayloadDir &) = delete;
  PayloadDir(PayloadDir &&) = delete;
  PayloadDir &operator=(PayloadDir &&) = delete;
  ~PayloadDir() { fs::remove_all(root); }
};

std::string snapshot_xml(const std::string &name, const std::string &parent) {
  std::string x = "<domainsnapshot>\n  <name>" + name + "</name>\n  <state>shutoff</state>\n";
  if (!parent.empty()) {
    x += "  <parent>\n    <name>" + parent + "</name>\n  </parent>\n";
  }
  x += "  <creationTime>1700000000</creationTime>\n"
       "  <domain type='kvm'><name>web01</name><memory>1048576</memory></domain>\n"
       "</domainsnapshot>\n";
  return x;
}

plan::PlanItem item(plan::ItemKind k, const std::string &vm, const std::string &src) {
  plan::PlanItem i;
  i.kind = k;
  i.vm = vm;
  i.source = src;
  i.dest = "kvm-rescue/payload" + src;
  return i;
}

} // namespace

TEST_CASE("payload facts: machine types, firmware and a snapshot chain, read back from files") {
  const PayloadDir dir;
  plan::RescuePlan p;
  const std::string snaps = "/var/lib/libvirt/qemu/snapshot/web01/";
  // Children first, as a directory listing may give them.
  for (const auto &[name, parent] :
       std::vector<std::pair<std::string, std::string>>{{"c", "b"}, {"b", "a"}, {"a", ""}}) {
    std::ofstream(dir.root / "kvm-rescue/payload" / (snaps.substr(1) + name + ".xml"))
        << snapshot_xml(name, parent);
    p.items.push_back(item(plan::ItemKind::snapshot_xml, "web01", snaps + name + ".xml"));
  }
  std::ofstream(dir.root / "kvm-rescue/payload/etc/libvirt/qemu/web01.xml")
      << "<domain type='kvm'><name>web01</name><memory unit='KiB'>1048576</memory>"
         "<os><type arch='x86_64' machine='pc-i440fx-rhel7.0.0'>hvm</type>"
         "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.secboot.fd</loader>"
         "</os></domain>";
  p.items.push_back(item(plan::ItemKind::domain_xml, "web01", "/etc/libvirt/qemu/web01.xml"));
  p.items.push_back(item(plan::ItemKind::domain_xml, "gone", "/etc/libvirt/qemu/gone.xml"));
  const PayloadFacts f = read_payload_facts(p, dir.root.string());
  REQUIRE(f.guests.size() == 1);
  CHECK(f.guests[0].machine == "pc-i440fx-rhel7.0.0");
  CHECK(f.guests[0].loader == "/usr/share/OVMF/OVMF_CODE.secboot.fd");
  REQUIRE(f.snapshots.size() == 3);
  CHECK(f.snapshots[0].parent == "b");
  CHECK(f.snapshots[2].parent.empty());
  REQUIRE(f.unreadable.size() == 1);
  CHECK(f.unreadable[0].find("gone.xml: cannot read it") != std::string::npos);

  const RestoreSpec s = build_restore_spec(p, Dialect::el9, f);
  CHECK_FALSE(s.firmware.empty());
  const auto ordered = order_snapshots(s.snapshots);
  REQUIRE(ordered.size() == 3);
  CHECK(ordered[0].name == "a");
  CHECK(ordered[1].name == "b");
  CHECK(ordered[2].name == "c");
}

TEST_CASE("the target root is found beside the plan or as a directory target") {
  const PayloadDir dir;
  plan::RescuePlan p;
  p.target.kind = plan::TargetKind::device;
  p.target.path = "/dev/sdc";
  CHECK(reachable_target_root(p).empty());
  CHECK(reachable_target_root(p, (dir.root / "kvm-rescue/plan.json").string()) ==
        dir.root.string());
  CHECK(reachable_target_root(p, (dir.root / "elsewhere/plan.json").string()).empty());
  p.target.kind = plan::TargetKind::directory;
  p.target.path = dir.root.string();
  CHECK(reachable_target_root(p) == dir.root.string());
  fs::remove_all(dir.root / "kvm-rescue/payload");
  CHECK(reachable_target_root(p).empty());
}

TEST_CASE("swap is sized from the OS disk when its size is known") {
  CHECK(swap_mib(0) == 0); // unknown: --recommended
  CHECK(swap_mib(std::uint64_t{240} * 1000 * 1000 * 1000) == 7152);
  CHECK(swap_mib(std::uint64_t{32} << 30U) == 2048);
  CHECK(swap_mib(std::uint64_t{4} << 40U) == 16384);
  CHECK_THROWS_AS(swap_mib(std::uint64_t{8} << 30U), kvmr::InputError);
}
