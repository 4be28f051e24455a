// Device-mapper tables built from LV maps: a linear line per linear
// segment, a striped line per striped one, in 512-byte sectors; and the
// LVs that cannot be given a table.
#include "rescue/util/error.hpp"
#include "rescue/volume/dm_table.hpp"

#include <doctest/doctest.h>

using namespace kvmr;         // NOLINT(google-build-using-namespace)
using namespace kvmr::volume; // NOLINT(google-build-using-namespace)
using kvmr::lvm::LvMap;
using kvmr::lvm::MappedSegment;
using kvmr::lvm::SegmentType;
using kvmr::lvm::StripeTarget;

namespace {

constexpr std::uint64_t kMiB = 1ULL << 20U;

MappedSegment linear(std::uint64_t lv_offset, std::uint64_t length, const std::string &path,
                     std::uint64_t device_offset) {
  MappedSegment s;
  s.lv_offset = lv_offset;
  s.length = length;
  s.type = SegmentType::linear;
  s.stripes.push_back({"pv0", path, device_offset, true});
  return s;
}

LvMap lv_of(std::vector<MappedSegment> segs) {
  LvMap lv;
  lv.name = "db01";
  lv.segments = std::move(segs);
  lv.size = lv.segments.back().lv_offset + lv.segments.back().length;
  return lv;
}

std::vector<std::string> lines(const std::vector<DmTarget> &t) {
  std::vector<std::string> out;
  for (const auto &x : t) {
    out.push_back(to_line(x));
  }
  return out;
}

} // namespace

TEST_CASE("a multi-segment linear LV: one linear line per segment") {
  // db01 of the --multiseg fixture: 24 MiB, then 24 MiB after an 8 MiB LV.
  const LvMap lv = lv_of({linear(0, 24 * kMiB, "/img/dead.img", 706 * kMiB),
                          linear(24 * kMiB, 24 * kMiB, "/img/dead.img", 738 * kMiB)});
  const auto t = dm_table(lv, {{"/img/dead.img", "7:3"}});
  CHECK(lines(t) ==
        std::vector<std::string>{"0 49152 linear 7:3 1445888", "49152 49152 linear 7:3 1511424"});
}

TEST_CASE("a striped segment then a linear one on another PV") {
  MappedSegment s;
  s.lv_offset = 0;
  s.length = 6 * kMiB;
  s.type = SegmentType::striped;
  s.stripe_size = 64 * 1024;
  s.stripes.push_back({"pv0", "/a.img", kMiB, true});
  s.stripes.push_back({"pv1", "/b.img", kMiB + 512, true});
  const LvMap lv = lv_of({s, linear(6 * kMiB, 2 * kMiB, "/b.img", 4 * kMiB)});
  const auto t = dm_table(lv, {{"/a.img", "7:1"}, {"/b.img", "7:2"}});
  REQUIRE(t.size() == 2);
  CHECK(t[0] == DmTarget{0, 12288, "striped", "2 128 7:1 2048 7:2 2049"});
  CHECK(to_line(t[1]) == "12288 4096 linear 7:2 8192");
}

TEST_CASE("LVs that cannot have a table") {
  LvMap lv = lv_of({linear(0, kMiB, "/a.img", kMiB)});
  SUBCASE("no device for a PV path") {
    CHECK_THROWS_WITH_AS(dm_table(lv, {{"/b.img", "7:2"}}),
                         "LV db01: no block device for PV pv0 on /a.img", InputError);
  }
  SUBCASE("a PV offset that is not a whole sector") {
    lv.segments[0].stripes[0].device_offset = kMiB + 100;
    CHECK_THROWS_WITH_AS(dm_table(lv, {{"/a.img", "7:1"}}),
                         "LV db01: PV offset 1048676 is not a whole number of 512-byte sectors",
                         InputError);
  }
  SUBCASE("an LV with a missing PV") {
    lv.segments[0].stripes[0].present = false;
    lv.problems.push_back("LV db01 extents 0..0: on missing PV pv0 (x)");
    CHECK_THROWS_WITH_AS(dm_table(lv, {{"/a.img", "7:1"}}),
                         "LV db01: cannot be mapped by device-mapper: LV db01 extents 0..0: on "
                         "missing PV pv0 (x)",
                         InputError);
  }
}
