// Disks by identity: what identify_disk records, the differences named,
// and finding a disk again after its device name changed.
#include "rescue/plan/identity.hpp"
#include "unit/plan/plan_fixture.hpp"

#include <doctest/doctest.h>

using namespace kvmr;
using namespace kvmr::test;

namespace {

const std::string kTable = "4b564d52-0000-4000-8000-000000000001";

disk::Disk source_disk(const std::string &path) {
  disk::Disk d =
      gpt_disk(path, 10 * GiB, kTable, {"partuuid-1", "partuuid-2"}, {"fs-b", "fs-a"}, "WD-123");
  d.device.is_block_device = true;
  d.device.model = "WDC WD10";
  d.device.by_id = {"/dev/disk/by-id/ata-WDC_WD10_WD-123"};
  return d;
}

} // namespace

TEST_CASE("identify_disk records by-id, serial, size, table and UUIDs (fs UUIDs sorted)") {
  const plan::DiskIdentity id = plan::identify_disk(source_disk("/dev/sdb"));
  CHECK(id.path == "/dev/sdb");
  CHECK(id.by_id == std::vector<std::string>{"/dev/disk/by-id/ata-WDC_WD10_WD-123"});
  CHECK(id.serial == "WD-123");
  CHECK(id.model == "WDC WD10");
  CHECK(id.size == 10 * GiB);
  CHECK(id.table_type == "gpt");
  CHECK(id.table_id == kTable);
  CHECK(id.partition_uuids == std::vector<std::string>{"partuuid-1", "partuuid-2"});
  CHECK(id.fs_uuids == std::vector<std::string>{"fs-a", "fs-b"});
}

TEST_CASE("identity_differences names each difference in plain words") {
  const plan::DiskIdentity planned = plan::identify_disk(source_disk("/dev/sdb"));
  plan::DiskIdentity now = planned;
  now.path = "/dev/sdc";
  now.by_id.clear();
  CHECK(plan::identity_differences(planned, now).empty());

  now.size = 8 * GiB;
  auto diff = plan::identity_differences(planned, now);
  REQUIRE(diff.size() == 1);
  CHECK(diff[0] == "size is 8.0 GiB (8589934592 bytes), the plan has 10 GiB (10737418240 bytes)");

  now = planned;
  now.fs_uuids = {"fs-a", "fs-c"};
  diff = plan::identity_differences(planned, now);
  REQUIRE(diff.size() == 2);
  CHECK(diff[0] == "filesystem UUID fs-b is gone");
  CHECK(diff[1] == "filesystem UUID fs-c was not there when planning");

  now = planned;
  now.table_id = "other";
  now.serial = "X";
  now.partition_uuids = {"partuuid-1"};
  diff = plan::identity_differences(planned, now);
  REQUIRE(diff.size() == 3);
  CHECK(diff[0] == "serial number is \"X\", the plan has \"WD-123\"");
  CHECK(diff[1] == "partition table id is other, the plan has " + kTable);
  CHECK(diff[2] == "partition UUID partuuid-2 is gone");
}

TEST_CASE("a serial number known on one side only is no difference (a plan made on an image)") {
  const plan::DiskIdentity on_disk = plan::identify_disk(source_disk("/dev/sdb"));
  plan::DiskIdentity image = on_disk;
  image.path = "/srv/old-host.img";
  image.serial.clear();
  image.model.clear();
  image.by_id.clear();
  CHECK(plan::identity_differences(image, on_disk).empty());
  CHECK(plan::identity_differences(on_disk, image).empty());
  const auto l = plan::locate_disk(image, {source_disk("/dev/sda")});
  CHECK(l.path == "/dev/sda");
  // The UUIDs still tell a different disk apart.
  plan::DiskIdentity other = image;
  other.fs_uuids = {"fs-other"};
  CHECK_FALSE(plan::identity_differences(other, on_disk).empty());
}

TEST_CASE("locate_disk: same path, renamed device, changed disk, image files") {
  const plan::DiskIdentity planned = plan::identify_disk(source_disk("/dev/sdb"));

  SUBCASE("still at the planned path") {
    const auto l = plan::locate_disk(planned, {source_disk("/dev/sda"), source_disk("/dev/sdb")});
    CHECK(l.path == "/dev/sdb");
    CHECK(l.differences.empty());
  }
  SUBCASE("renamed: another disk is at the planned path, ours found by its by-id name") {
    disk::Disk other = gpt_disk("/dev/sdb", 500 * GiB, "other-table", {"p9"}, {"fs-z"}, "S9");
    const auto l = plan::locate_disk(planned, {other, source_disk("/dev/sdd")});
    CHECK(l.path == "/dev/sdd");
    CHECK(l.differences.empty());
  }
  SUBCASE("renamed, no by-id link: found by identity") {
    disk::Disk moved = source_disk("/dev/sde");
    moved.device.by_id.clear();
    const auto l = plan::locate_disk(planned, {moved});
    CHECK(l.path == "/dev/sde");
  }
  SUBCASE("the disk at the planned path changed, no other match: differences, not accepted") {
    disk::Disk changed = source_disk("/dev/sdb");
    changed.table.partitions[1].fs.uuid = "fs-new";
    const auto l = plan::locate_disk(planned, {changed});
    CHECK(l.path.empty());
    REQUIRE(l.differences.size() == 2);
    CHECK(l.differences[0] == "/dev/sdb: filesystem UUID fs-a is gone");
    CHECK(l.differences[1] == "/dev/sdb: filesystem UUID fs-new was not there when planning");
  }
  SUBCASE("nothing there") {
    const auto l = plan::locate_disk(planned, {});
    CHECK(l.path.empty());
    REQUIRE(l.differences.size() == 1);
    CHECK(l.differences[0].find("/dev/sdb") != std::string::npos);
  }
  SUBCASE("an unreadable disk at the planned path") {
    disk::Disk bad;
    bad.path = "/dev/sdb";
    bad.status = disk::DiskStatus::error;
    bad.error = "No such device";
    const auto l = plan::locate_disk(planned, {bad});
    CHECK(l.path.empty());
    CHECK(l.differences == std::vector<std::string>{"/dev/sdb: cannot be read: No such device"});
  }
  SUBCASE("a blank image matches only at its path") {
    disk::Disk blank;
    blank.path = "/img/a.img";
    blank.status = disk::DiskStatus::blank;
    blank.size = GiB;
    const plan::DiskIdentity b = plan::identify_disk(blank);
    disk::Disk other = blank;
    other.path = "/img/b.img";
    CHECK(plan::locate_disk(b, {other}).path.empty());
    CHECK(plan::locate_disk(b, {other, blank}).path == "/img/a.img");
  }
}
