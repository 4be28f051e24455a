// A VM scan renamed (its name on the old disk unsafe: scan/vm_name.hpp)
// keeps the safe name through everything the name reaches: --vm, the
// plan's items, the copy's <name> (its domain and snapshot XML are
// rewritten), the restore's domain, autostart and snapshot names, and its
// NVRAM default path on the new host.
#include "kickstart/profile_build.hpp"
#include "kickstart/restore.hpp"
#include "kickstart/shell_quote.hpp"
#include "rescue/plan/plan_build.hpp"
#include "unit/plan/plan_fixture.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kvmr;
using namespace kvmr::test;

namespace {

const std::string kRaw = "app\n01";
const std::string kSafe = "app_01";
const std::string kNvram = "/var/lib/libvirt/qemu/nvram/";

// The story's inventory with app01 named "app\n01" on the old disk.
scan::HostInventory renamed_inventory() {
  scan::HostInventory inv = story_inventory();
  scan::VmInfo &app = inv.vms.back();
  REQUIRE(app.name == "app01");
  app.original_name = kRaw;
  app.name = kSafe;
  app.xml_path = "/etc/libvirt/qemu/" + kRaw + ".xml";
  app.files.front() = app.xml_path;
  app.nvram = scan::VmNvram{kNvram + kRaw + "_VARS.fd", true, 128 * 1024};
  app.readiness = scan::Readiness::warnings;
  app.reasons = {"its name holds control characters: it is rescued as app_01"};
  scan::SnapshotFile snap;
  snap.path = "/var/lib/libvirt/qemu/snapshot/" + kRaw + "/first.xml";
  snap.domain_dir = kRaw;
  inv.libvirt.snapshots.push_back(snap);
  app.snapshots.emplace_back("first");
  return inv;
}

const plan::PlanItem &item(const plan::RescuePlan &p, const std::string &source) {
  for (const auto &i : p.items) {
    if (i.source == source) {
      return i;
    }
  }
  FAIL("no item for " << source);
  return p.items.front();
}

} // namespace

TEST_CASE("a renamed VM is planned, copied and restored under its safe name") {
  plan::PlanChoices ch;
  ch.vms = {kSafe}; // --vm takes the name scan shows
  const plan::RescuePlan p = plan::build_plan(renamed_inventory(), {}, dir_target(), ch);
  CHECK(p.vms == std::vector<std::string>{kSafe});
  const auto &xml = item(p, "/etc/libvirt/qemu/" + kRaw + ".xml");
  CHECK(xml.vm == kSafe);
  CHECK(xml.rewritten); // its <name> becomes the safe one
  const auto &snap = item(p, "/var/lib/libvirt/qemu/snapshot/" + kRaw + "/first.xml");
  CHECK(snap.vm == kSafe);
  CHECK(snap.rewritten);
  CHECK(item(p, kNvram + kRaw + "_VARS.fd").vm == kSafe);

  const kickstart::RestoreSpec s = kickstart::build_restore_spec(p, kickstart::Dialect::el7);
  REQUIRE(s.domains.size() == 1);
  CHECK(s.domains[0].name == kSafe);
  REQUIRE(s.nvram.size() == 1);
  CHECK(s.nvram[0].to == kNvram + kSafe + "_VARS.fd"); // libvirt's default for the new name
  REQUIRE(s.snapshots.size() == 1);
  CHECK(s.snapshots[0].domain == kSafe);
  const std::string script = kickstart::render_restore_script(s);
  // Defined and autostarted under the safe name (the script's domain arrays).
  CHECK(script.find("\ndom_name=( " + kickstart::shell_quote(kSafe) + " )\n") != std::string::npos);
  CHECK(script.find("\ndom_auto=( 1 )\n") != std::string::npos);
}

TEST_CASE("a VM with a safe name keeps its XML and NVRAM path as they are") {
  const plan::RescuePlan p = plan::build_plan(story_inventory(), {}, dir_target(), {});
  CHECK_FALSE(item(p, "/etc/libvirt/qemu/app01.xml").rewritten);
  const kickstart::RestoreSpec s = kickstart::build_restore_spec(p, kickstart::Dialect::el7);
  REQUIRE(s.nvram.size() == 1);
  CHECK(s.nvram[0].to == kNvram + "app01_VARS.fd");
}
