// Disks in formats EL's qemu-kvm opens read-only only: the plan converts
// the whole chain to one qcow2 beside the old top image (a name that is
// not taken), rewrites the XML with the new format, says so, and keeps
// the format with keep_format; the item round-trips through the JSON.
#include "rescue/plan/plan_build.hpp"
#include "rescue/plan/plan_convert.hpp"
#include "rescue/plan/plan_json.hpp"
#include "unit/plan/plan_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kvmr;
using namespace kvmr::test;
using scan::ImageFormat;

namespace {

const plan::PlanItem *find(const plan::RescuePlan &p, const std::string &source) {
  const auto it = std::find_if(p.items.begin(), p.items.end(),
                               [&](const plan::PlanItem &i) { return i.source == source; });
  return it == p.items.end() ? nullptr : &*it;
}

// imp01: a qcow2 overlay over a split VMDK (descriptor and two extents);
// hv01: a VHD; the old host also holds hv01.qcow2 (another VM's disk).
scan::HostInventory inventory() {
  scan::HostInventory inv = story_inventory();
  scan::ChainMember base = member(kImages + "/imp01.vmdk", ImageFormat::vmdk, 4 * MiB);
  for (const std::string name : {"imp01-s001.vmdk", "imp01-s002.vmdk"}) {
    base.extents.push_back({name, kImages + "/" + name, true, 3 * MiB, 2 * MiB});
  }
  inv.vms.push_back(
      vm("imp01", {file_disk("vda", {member(kImages + "/imp01-top.qcow2", ImageFormat::qcow2, MiB,
                                            "imp01.vmdk", kImages + "/imp01.vmdk"),
                                     base})}));
  inv.vms.push_back(
      vm("hv01", {file_disk("vda", {member(kImages + "/hv01.vhd", ImageFormat::vpc, 8 * MiB)})}));
  inv.vms.push_back(
      vm("other", {file_disk("vda", {member(kImages + "/hv01.qcow2", ImageFormat::qcow2, MiB)})}));
  for (auto &v : inv.vms) {
    for (const auto &d : v.disks) {
      if (d.chain) {
        for (const auto &f : d.chain->files()) {
          v.files.push_back(f);
        }
      }
    }
  }
  return inv;
}

plan::RescuePlan build(bool keep_format) {
  plan::PlanChoices ch;
  ch.keep_format = keep_format;
  return plan::build_plan(inventory(), {}, dir_target(), ch);
}

} // namespace

TEST_CASE("a chain holding a vmdk or vpc member becomes one converted qcow2 item") {
  const plan::RescuePlan p = build(false);
  const plan::PlanItem *imp = find(p, kImages + "/imp01-top.qcow2");
  REQUIRE(imp != nullptr);
  CHECK(imp->format == "qcow2");
  CHECK(imp->convert_from == "qcow2");
  CHECK(imp->new_path == kImages + "/imp01-top-2.qcow2"); // imp01-top.qcow2 is the old top
  CHECK(imp->dest == "imp01-top-2.qcow2");
  CHECK(imp->allocated == MiB + 4 * MiB + 2 * 2 * MiB); // every file of the chain
  CHECK(imp->guest_disk == "vda");
  CHECK(find(p, kImages + "/imp01.vmdk") == nullptr); // collapsed into the top's item
  CHECK(find(p, kImages + "/imp01-s001.vmdk") == nullptr);

  const plan::PlanItem *hv = find(p, kImages + "/hv01.vhd");
  REQUIRE(hv != nullptr);
  CHECK(hv->convert_from == "vpc");
  CHECK(hv->new_path == kImages + "/hv01-2.qcow2"); // hv01.qcow2 is another VM's disk
  CHECK(find(p, kImages + "/hv01.qcow2")->convert_from.empty());

  const auto rw = std::find_if(p.rewrites.begin(), p.rewrites.end(),
                               [](const plan::PathRewrite &r) { return r.vm == "hv01"; });
  REQUIRE(rw != p.rewrites.end());
  CHECK(rw->from == kImages + "/hv01.vhd");
  CHECK(rw->to == kImages + "/hv01-2.qcow2");
  CHECK(rw->new_format == "qcow2");
  CHECK(std::any_of(p.warnings.begin(), p.warnings.end(), [](const std::string &w) {
    return w.find("hv01: vda") != std::string::npos &&
           w.find("converted to qcow2") != std::string::npos &&
           w.find("vpc read-only only") != std::string::npos;
  }));
  CHECK(plan::render_plan(p).find("converted from vpc") != std::string::npos);
  CHECK(plan::plan_from_json(plan::to_json(p)) == p);
}

TEST_CASE("keep_format copies every file of such a chain as it is") {
  const plan::RescuePlan p = build(true);
  for (const std::string name :
       {"imp01-top.qcow2", "imp01.vmdk", "imp01-s001.vmdk", "imp01-s002.vmdk", "hv01.vhd"}) {
    CAPTURE(name);
    const plan::PlanItem *i = find(p, kImages + "/" + name);
    REQUIRE(i != nullptr);
    CHECK(i->convert_from.empty());
    CHECK(i->new_path == kImages + "/" + name);
  }
  CHECK(find(p, kImages + "/hv01.vhd")->format == "vpc");
  CHECK(find(p, kImages + "/imp01-s001.vmdk")->guest_disk == "vda (backing file) (VMDK extent)");
  CHECK(std::none_of(p.rewrites.begin(), p.rewrites.end(),
                     [](const plan::PathRewrite &r) { return r.vm == "hv01"; }));
}

TEST_CASE("converted_path replaces the extension and avoids names taken") {
  const auto none = [](const std::string &) { return false; };
  CHECK(plan::converted_path("/i/disk.vmdk", none) == "/i/disk.qcow2");
  CHECK(plan::converted_path("/i/disk", none) == "/i/disk.qcow2");
  CHECK(plan::converted_path("/i.d/.hidden", none) == "/i.d/.hidden.qcow2");
  const auto taken = [](const std::string &p) { return p == "/i/a.qcow2" || p == "/i/a-2.qcow2"; };
  CHECK(plan::converted_path("/i/a.vhdx", taken) == "/i/a-3.qcow2");
}
