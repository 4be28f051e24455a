// build_plan: VM choice, items on the target layout, rewrites, preflight.
#include "rescue/plan/plan_build.hpp"
#include "rescue/util/error.hpp"
#include "unit/plan/plan_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kvmr;
using namespace kvmr::test;
using plan::ItemKind;

namespace {

std::size_t count_source(const plan::RescuePlan &p, const std::string &source) {
  return static_cast<std::size_t>(std::count_if(
      p.items.begin(), p.items.end(), [&](const plan::PlanItem &i) { return i.source == source; }));
}

const plan::PlanItem &item(const plan::RescuePlan &p, const std::string &source) {
  for (const auto &i : p.items) {
    if (i.source == source) {
      return i;
    }
  }
  FAIL("no item for " << source);
  throw std::logic_error("unreachable");
}

plan::RescuePlan build(const scan::HostInventory &inv, const plan::PlanChoices &ch = {},
                       std::uint64_t capacity = 100 * GiB) {
  return plan::build_plan(inv, {}, dir_target(capacity), ch);
}

} // namespace

TEST_CASE("every VM that is ready, every libvirt object, host files; images keep their paths") {
  const plan::RescuePlan p = build(story_inventory());
  CHECK(p.vms == std::vector<std::string>{"web01", "mail01", "app01"});
  CHECK(p.skipped.empty());
  CHECK(p.warnings.empty());
  const auto &web = item(p, kImages + "/web01.img");
  CHECK(web.kind == ItemKind::image);
  CHECK(web.dest == "web01.img");
  CHECK(web.new_path == kImages + "/web01.img");
  CHECK(web.format == "raw");
  CHECK(web.allocated == 4 * MiB);
  CHECK(item(p, kImages + "/mail01.qcow2").new_backing_name.empty());
  const auto &nvram = item(p, "/var/lib/libvirt/qemu/nvram/app01_VARS.fd");
  CHECK(nvram.kind == ItemKind::nvram);
  CHECK(nvram.vm == "app01");
  CHECK(nvram.dest == "kvm-rescue/payload/var/lib/libvirt/qemu/nvram/app01_VARS.fd");
  CHECK(item(p, "/etc/libvirt/qemu/web01.xml").autostart);
  CHECK_FALSE(item(p, "/etc/libvirt/qemu/mail01.xml").autostart);
  CHECK(item(p, "/var/lib/libvirt/qemu/snapshot/web01/before-update.xml").kind ==
        ItemKind::snapshot_xml);
  CHECK(item(p, "/etc/libvirt/qemu/networks/default.xml").autostart);
  CHECK(item(p, "/etc/libvirt/storage/default.xml").kind == ItemKind::pool_xml);
  const auto &xml = item(p, "/etc/libvirt/secrets/6c1d9a3e-0b4f-4a7e-9f00-000000000001.xml");
  CHECK_FALSE(xml.secret);
  const auto &value = item(p, "/etc/libvirt/secrets/6c1d9a3e-0b4f-4a7e-9f00-000000000001.base64");
  CHECK(value.kind == ItemKind::secret_value);
  CHECK(value.secret);
  const auto &host = item(p, "/etc/hostname");
  CHECK(host.kind == ItemKind::host_file);
  CHECK(host.new_path.empty());
  CHECK(count_source(p, "/etc/sysconfig/network-scripts/ifcfg-br0") == 1);
  CHECK(p.rewrites.empty());
  CHECK(p.kickstart.hostname == "kvmhost01.example.jp");
  CHECK(p.kickstart.timezone == "Asia/Tokyo");
  CHECK(p.old_hostname == "kvmhost01.example.jp");
  CHECK(p.host.at("hostname").at("name") == "kvmhost01.example.jp");
  CHECK(p.target.path == "/mnt/newdisk");
  CHECK_FALSE(p.target.oemdrv);
}

TEST_CASE("a base image shared by several VMs is copied once") {
  scan::HostInventory inv = story_inventory();
  using scan::ImageFormat;
  inv.vms.push_back(vm(
      "mail02",
      {file_disk("vda", {member(kImages + "/mail02.qcow2", ImageFormat::qcow2, MiB,
                                "centos7-base.qcow2", kImages + "/centos7-base.qcow2"),
                         member(kImages + "/centos7-base.qcow2", ImageFormat::qcow2, 3 * MiB)})}));
  const plan::RescuePlan p = build(inv);
  CHECK(count_source(p, kImages + "/centos7-base.qcow2") == 1);
  CHECK(item(p, kImages + "/centos7-base.qcow2").vm == "mail01");
  // web01 4 + mail01 2 + base 3 + app01 2 + mail02 1 MiB of images.
  std::uint64_t images = 0;
  for (const auto &i : p.items) {
    if (i.kind == ItemKind::image) {
      images += i.allocated;
    }
  }
  CHECK(images == 12 * MiB);
  CHECK(p.bytes_needed == plan::bytes_needed(p));
  CHECK(p.bytes_needed >= images + plan::kMarginFixed);
}

TEST_CASE("images outside images_dir are relocated; XML and backing names rewritten") {
  using scan::ImageFormat;
  scan::HostInventory inv = story_inventory();
  // srv01: /srv/vms/srv01.qcow2 (relative backing srv-base.qcow2 beside it)
  // and a second disk whose overlay in images_dir names /srv/base/abs.qcow2.
  inv.vms.push_back(
      vm("srv01",
         {file_disk("vda", {member("/srv/vms/srv01.qcow2", ImageFormat::qcow2, MiB,
                                   "srv-base.qcow2", "/srv/vms/srv-base.qcow2"),
                            member("/srv/vms/srv-base.qcow2", ImageFormat::qcow2, MiB)}),
          file_disk("vdb", {member(kImages + "/data.qcow2", ImageFormat::qcow2, MiB,
                                   "/srv/base/abs.qcow2", "/srv/base/abs.qcow2"),
                            member("/srv/base/abs.qcow2", ImageFormat::raw, MiB)}),
          file_disk("vdc",
                    {member(kImages + "/rel-out.qcow2", ImageFormat::qcow2, MiB,
                            "../other/out-base.qcow2", "/var/lib/libvirt/other/out-base.qcow2"),
                     member("/var/lib/libvirt/other/out-base.qcow2", ImageFormat::qcow2, MiB)})}));
  scan::SnapshotFile snap;
  snap.path = "/var/lib/libvirt/qemu/snapshot/srv01/s1.xml";
  snap.domain_dir = "srv01";
  inv.libvirt.snapshots.push_back(snap);
  const plan::RescuePlan p = build(inv);

  const auto &top = item(p, "/srv/vms/srv01.qcow2");
  CHECK(top.dest == "relocated/srv/vms/srv01.qcow2");
  CHECK(top.new_path == kImages + "/relocated/srv/vms/srv01.qcow2");
  CHECK(top.new_backing_name.empty()); // relative, moved together: still resolves
  const auto &base = item(p, "/srv/vms/srv-base.qcow2");
  CHECK(base.dest == "relocated/srv/vms/srv-base.qcow2");
  // The guest disk each file is, for the report's damaged ranges.
  CHECK(top.guest_disk == "vda");
  CHECK(base.guest_disk == "vda (backing file)");
  CHECK(item(p, "/etc/libvirt/qemu/srv01.xml").guest_disk.empty());

  const auto &data = item(p, kImages + "/data.qcow2");
  CHECK(data.dest == "data.qcow2");
  CHECK(data.new_backing_name == kImages + "/relocated/srv/base/abs.qcow2");
  CHECK(data.new_backing_format == "qcow2"); // as the overlay's header declares it

  const auto &rel = item(p, kImages + "/rel-out.qcow2");
  CHECK(rel.new_backing_name == kImages + "/relocated/var/lib/libvirt/other/out-base.qcow2");

  // The domain XML and the snapshot XML both name the moved top image.
  std::vector<std::string> files;
  for (const auto &r : p.rewrites) {
    if (r.from == "/srv/vms/srv01.qcow2") {
      CHECK(r.to == kImages + "/relocated/srv/vms/srv01.qcow2");
      CHECK(r.vm == "srv01");
      CHECK_FALSE(r.block_to_file);
      files.push_back(r.file);
    }
  }
  CHECK(files == std::vector<std::string>{"/etc/libvirt/qemu/srv01.xml",
                                          "/var/lib/libvirt/qemu/snapshot/srv01/s1.xml"});
  // Only the top image is named in XML; backing files are not.
  CHECK(std::none_of(p.rewrites.begin(), p.rewrites.end(),
                     [](const plan::PathRewrite &r) { return r.from == "/srv/base/abs.qcow2"; }));
  CHECK(item(p, "/etc/libvirt/qemu/srv01.xml").rewritten);
  CHECK(item(p, "/var/lib/libvirt/qemu/snapshot/srv01/s1.xml").rewritten);
  CHECK_FALSE(item(p, "/etc/libvirt/qemu/web01.xml").rewritten);
}

TEST_CASE("a pool whose directory is outside images_dir is rewritten") {
  scan::HostInventory inv = story_inventory();
  scan::PoolFile pool;
  pool.path = "/etc/libvirt/storage/srv.xml";
  pool.pool = scan::StoragePool{};
  pool.pool->name = "srv";
  pool.pool->type = "dir";
  pool.pool->target_path = "/srv/vms";
  inv.libvirt.pools.push_back(pool);
  const plan::RescuePlan p = build(inv);
  REQUIRE(p.rewrites.size() == 1);
  CHECK(p.rewrites[0].file == "/etc/libvirt/storage/srv.xml");
  CHECK(p.rewrites[0].from == "/srv/vms");
  CHECK(p.rewrites[0].to == kImages + "/relocated/srv/vms");
  CHECK(p.rewrites[0].vm.empty());
  CHECK(item(p, "/etc/libvirt/storage/srv.xml").rewritten);
  CHECK_FALSE(item(p, "/etc/libvirt/storage/default.xml").rewritten);
}

TEST_CASE("an LV disk becomes lv/<vg>-<lv>.img, raw, with a block-to-file rewrite") {
  scan::HostInventory inv = story_inventory();
  inv.vms.push_back(vm("db01", {lv_disk("vda", "centos/db01", 48 * MiB)}));
  inv.vms.push_back(vm("db02", {lv_disk("vda", "my-vg/db-02", 8 * MiB)}));
  const plan::RescuePlan p = build(inv);
  const auto &lv = item(p, "centos/db01");
  CHECK(lv.kind == ItemKind::lv_image);
  CHECK(lv.dest == "lv/centos-db01.img");
  CHECK(lv.new_path == kImages + "/lv/centos-db01.img");
  CHECK(lv.format == "raw");
  CHECK(lv.allocated == 48 * MiB);
  CHECK(item(p, "my-vg/db-02").dest == "lv/my--vg-db--02.img");
  const auto r = std::find_if(p.rewrites.begin(), p.rewrites.end(),
                              [](const plan::PathRewrite &x) { return x.vm == "db01"; });
  REQUIRE(r != p.rewrites.end());
  CHECK(r->file == "/etc/libvirt/qemu/db01.xml");
  CHECK(r->from == "/dev/centos/db01");
  CHECK(r->to == kImages + "/lv/centos-db01.img");
  CHECK(r->block_to_file);
  CHECK(r->new_format == "raw");
  CHECK(item(p, "/etc/libvirt/qemu/db01.xml").rewritten);
}

TEST_CASE("a not-ready VM: left out by default, refused by name, taken with include_not_ready") {
  scan::HostInventory inv = story_inventory();
  scan::ChainMember gone = member(kImages + "/ghost01.img", scan::ImageFormat::raw, 0);
  gone.exists = false;
  inv.vms.push_back(
      vm("ghost01",
         {file_disk("vda", {gone}),
          file_disk("vdb", {member(kImages + "/ghost01-data.img", scan::ImageFormat::raw, MiB)})},
         scan::Readiness::not_ready));

  SUBCASE("default: skipped with a warning") {
    const plan::RescuePlan p = build(inv);
    CHECK(p.vms.size() == 3);
    REQUIRE(p.skipped.size() == 1);
    CHECK(p.skipped[0].starts_with("ghost01: not ready"));
    REQUIRE(p.warnings.size() == 1);
    CHECK(p.warnings[0].find("ghost01") != std::string::npos);
    CHECK(count_source(p, kImages + "/ghost01-data.img") == 0);
  }
  SUBCASE("named: refused") {
    plan::PlanChoices ch;
    ch.vms = {"ghost01"};
    CHECK_THROWS_WITH_AS(build(inv, ch), doctest::Contains("VM ghost01 is not ready"), InputError);
  }
  SUBCASE("named with include_not_ready: its readable files, and what is missing") {
    plan::PlanChoices ch;
    ch.vms = {"ghost01"};
    ch.include_not_ready = true;
    const plan::RescuePlan p = build(inv, ch);
    CHECK(p.vms == std::vector<std::string>{"ghost01"});
    CHECK(count_source(p, kImages + "/ghost01-data.img") == 1);
    CHECK(count_source(p, kImages + "/ghost01.img") == 0);
    CHECK(count_source(p, kImages + "/web01.img") == 0);
    CHECK(std::count(p.skipped.begin(), p.skipped.end(), "web01: not chosen") == 1);
    bool missing = false;
    for (const auto &w : p.warnings) {
      missing = missing || w.find(kImages + "/ghost01.img is missing") != std::string::npos;
    }
    CHECK(missing);
  }
}

TEST_CASE("an unknown VM name is an error listing the VMs there") {
  plan::PlanChoices ch;
  ch.vms = {"nosuch"};
  CHECK_THROWS_WITH_AS(build(story_inventory(), ch),
                       "no VM named \"nosuch\" on the old host; its VMs: web01, mail01, app01",
                       InputError);
}

TEST_CASE("space preflight") {
  plan::RescuePlan p = build(story_inventory(), {}, GiB);
  CHECK(plan::space_shortfall(p).empty());
  p = build(story_inventory(), {}, 10 * MiB);
  const std::string s = plan::space_shortfall(p);
  CHECK(s.find("the target /mnt/newdisk is too small") == 0);
  CHECK(s.find(std::to_string(p.bytes_needed) + " bytes") != std::string::npos);
  CHECK(s.find("10 MiB (10485760 bytes) free") != std::string::npos);
  p.target.capacity = p.bytes_needed;
  CHECK(plan::space_shortfall(p).empty());
}

TEST_CASE("render_plan fits 80 columns and never shows a secret or password hash") {
  scan::HostInventory inv = story_inventory();
  inv.vms.push_back(vm("db01", {lv_disk("vda", "centos/db01", 48 * MiB)}));
  plan::PlanChoices ch;
  ch.kickstart.root_password = "hash";
  ch.kickstart.root_password_hash = "$6$salt$SECRETHASHVALUE";
  const plan::RescuePlan p = build(inv, ch);
  const std::string text = plan::render_plan(p);
  CHECK(text.find("SECRETHASHVALUE") == std::string::npos);
  CHECK(text.find("value not shown") != std::string::npos);
  CHECK(text.find("VM db01") != std::string::npos);
  CHECK(text.find("lv/centos-db01.img") != std::string::npos);
  CHECK(text.find("48 MiB") != std::string::npos);
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const std::string l = text.substr(start, end - start);
    CHECK_MESSAGE(l.size() <= 80, l);
    start = end + 1;
  }
}
