// Assembling VGs and mapping LVs to byte ranges, checked against what lvs
// and pvs report for VGs made by the real tools: linear LVs in a
// partition, a multi-segment LV, a striped LV across two PVs; then a VG
// with a missing PV, an image cut short, and metadata whose LV runs past
// the end of its PV.
#include "rescue/lvm/volume_map.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"
#include "unit/rescue/lvm_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kvmr;      // NOLINT(google-build-using-namespace)
using namespace kvmr::lvm; // NOLINT(google-build-using-namespace)

namespace {

PvLabel read_image(const std::string &path, std::uint64_t offset, std::uint64_t size) {
  auto fd = open_read_only(path);
  return read_pv_label(fd.get(), path, offset, size);
}

std::vector<PvLabel> read_all(const test::LvmFixture &fx) {
  std::vector<PvLabel> out;
  for (std::size_t i = 0; i < fx.pvs.size(); ++i) {
    out.push_back(read_image(fx.pvs[i].image, fx.pvs[i].offset, fx.pv_size(i)));
  }
  return out;
}

// Every row of lvs, checked against the map: segment offsets and lengths,
// and for each stripe the image and byte offset the PE range gives.
void check_against_lvs(const test::LvmFixture &fx, const AssembledVg &vg) {
  const std::uint64_t ext = fx.extent_size;
  for (const auto &row : fx.lvs) {
    INFO("lvs row: " << row.lv << " " << row.seg_start_pe << "+" << row.seg_size_pe << " "
                     << row.seg_pe_ranges);
    const LvMap *lv = vg.find_lv(row.lv);
    REQUIRE(lv != nullptr);
    const auto seg =
        std::find_if(lv->segments.begin(), lv->segments.end(),
                     [&](const MappedSegment &s) { return s.lv_offset == row.seg_start_pe * ext; });
    REQUIRE(seg != lv->segments.end());
    CHECK(seg->length == row.seg_size_pe * ext);
    CHECK(seg->stripe_size == row.stripe_size);
    const auto ranges = test::parse_pe_ranges(row.seg_pe_ranges);
    REQUIRE(ranges.size() == seg->stripes.size());
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const std::size_t pv = fx.index_of_loop(ranges[i].device);
      const auto &rep =
          *std::find_if(fx.pvs_report.begin(), fx.pvs_report.end(),
                        [&](const test::PvsRow &r) { return r.name == ranges[i].device; });
      CHECK(seg->stripes[i].present);
      CHECK(seg->stripes[i].path == fx.pvs[pv].image);
      CHECK(seg->stripes[i].device_offset ==
            fx.pvs[pv].offset + rep.pe_start + ranges[i].first * ext);
      CHECK((ranges[i].last - ranges[i].first + 1) * ranges.size() == row.seg_size_pe);
    }
  }
}

const LvMap &lv_of(const AssembledVg &vg, const std::string &name) {
  const LvMap *lv = vg.find_lv(name);
  REQUIRE(lv != nullptr);
  return *lv;
}

} // namespace

TEST_CASE("linear LVs in a partition: one run each, served by a loop device at an offset" *
          doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_root_swap_fixture(t);
  if (!fx) {
    return;
  }
  const Assembly a = assemble_volume_groups(read_all(*fx));
  CHECK(a.problems.empty());
  CHECK(a.orphans.empty());
  REQUIRE(a.vgs.size() == 1);
  const AssembledVg &vg = a.vgs[0];
  CHECK(vg.problems.empty());
  CHECK(vg.metadata_verified);
  CHECK(vg.metadata_path == fx->pvs[0].image);
  CHECK(vg.missing_pvs().empty());
  REQUIRE(vg.pvs.size() == 1);
  CHECK(vg.pvs[0].present);
  CHECK(vg.pvs[0].data_start == (1ULL << 20U) + fx->pvs_report[0].pe_start);
  check_against_lvs(*fx, vg);

  const LvMap &root = lv_of(vg, "root");
  CHECK(root.complete());
  CHECK(root.visible);
  CHECK(root.size == 16ULL << 20U);
  CHECK(lv_access(root) == LvAccess::loop_at_offset);
  const auto run = single_run(root);
  REQUIRE(run);
  CHECK(run->lv_offset == 0);
  CHECK(run->length == 16ULL << 20U);
  CHECK(run->path == fx->pvs[0].image);
  CHECK(run->device_offset == vg.pvs[0].data_start);
  const auto swap = single_run(lv_of(vg, "swap"));
  REQUIRE(swap);
  CHECK(swap->device_offset == run->device_offset + run->length);

  const ByteRange r = resolve(root, 12345);
  CHECK(r.device_offset == run->device_offset + 12345);
  CHECK(r.length == root.size - 12345);
  CHECK_THROWS_AS(resolve(root, root.size), InputError);
}

TEST_CASE("a multi-segment LV needs device-mapper or the copier's map" *
          doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_lvm_fixture(
      t, {{"multi.img", 64ULL << 20U}},
      {"vgcreate vg_m {0}", "lvcreate -an -Zn -Wn -n multi -l 3 vg_m {0}:0-9",
       "lvcreate -an -Zn -Wn -n after -l 2 vg_m {0}", "lvextend -l +4 vg_m/multi {0}:8-11",
       "lvcreate -an -Zn -Wn -n grow -l 1 vg_m {0}:12", "lvextend -l +1 vg_m/grow {0}:13"},
      "vg_m");
  if (!fx) {
    return;
  }
  const Assembly a = assemble_volume_groups(read_all(*fx));
  REQUIRE(a.vgs.size() == 1);
  const AssembledVg &vg = a.vgs[0];
  check_against_lvs(*fx, vg);

  const LvMap &multi = lv_of(vg, "multi");
  REQUIRE(multi.segments.size() == 2);
  CHECK(multi.complete());
  CHECK(lv_access(multi) == LvAccess::device_mapper);
  CHECK_FALSE(single_run(multi));
  const auto ranges = byte_ranges(multi);
  REQUIRE(ranges.size() == 2);
  const std::uint64_t ext = fx->extent_size;
  const std::uint64_t base = vg.pvs[0].data_start;
  CHECK(ranges[0].lv_offset == 0);
  CHECK(ranges[0].length == 3 * ext);
  CHECK(ranges[0].device_offset == base);
  CHECK(ranges[1].lv_offset == 3 * ext);
  CHECK(ranges[1].length == 4 * ext);
  CHECK(ranges[1].device_offset == base + 8 * ext);
  // A window across the segment boundary.
  const auto window = byte_ranges(multi, 3 * ext - 10, 20);
  REQUIRE(window.size() == 2);
  CHECK(window[0].length == 10);
  CHECK(window[1].device_offset == base + 8 * ext);
  CHECK(window[1].length == 10);

  CHECK(lv_access(lv_of(vg, "after")) == LvAccess::loop_at_offset);
  // Extended onto the very next extent: still one run, whatever the segments.
  const auto grow = single_run(lv_of(vg, "grow"));
  REQUIRE(grow);
  CHECK(grow->device_offset == base + 12 * ext);
  CHECK(grow->length == 2 * ext);
}

TEST_CASE("a striped LV across two PVs, then one of them missing" * doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_lvm_fixture(
      t, {{"a.img", 64ULL << 20U}, {"b.img", 64ULL << 20U}},
      {"vgcreate vg_s {0} {1}", "lvcreate -an -Zn -Wn -n striped -i 2 -I 64k -l 6 vg_s {0} {1}",
       "lvcreate -an -Zn -Wn -n solo -l 2 vg_s {0}",
       "lvcreate -an -Zn -Wn -n span -l 14 vg_s {0} {1}"},
      "vg_s");
  if (!fx) {
    return;
  }
  const auto labels = read_all(*fx);
  const Assembly a = assemble_volume_groups(labels);
  REQUIRE(a.vgs.size() == 1);
  const AssembledVg &vg = a.vgs[0];
  CHECK(vg.problems.empty());
  check_against_lvs(*fx, vg);

  const LvMap &striped = lv_of(vg, "striped");
  REQUIRE(striped.segments.size() == 1);
  const MappedSegment &seg = striped.segments[0];
  CHECK(seg.type == SegmentType::striped);
  CHECK(seg.stripe_size == 64 * 1024);
  REQUIRE(seg.stripes.size() == 2);
  CHECK(lv_access(striped) == LvAccess::device_mapper);
  // Chunk by chunk: stripe 0, stripe 1, stripe 0 one chunk further ...
  const auto chunks = byte_ranges(striped, 0, 4ULL * 65536);
  REQUIRE(chunks.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto &st = seg.stripes[i % 2];
    CHECK(chunks[i].lv_offset == i * 65536);
    CHECK(chunks[i].length == 65536);
    CHECK(chunks[i].path == st.path);
    CHECK(chunks[i].device_offset == st.device_offset + (i / 2) * 65536);
  }
  const ByteRange mid = resolve(striped, 5 * 65536 + 100);
  CHECK(mid.path == seg.stripes[1].path);
  CHECK(mid.device_offset == seg.stripes[1].device_offset + 2ULL * 65536 + 100);
  CHECK(mid.length == 65536 - 100);
  std::uint64_t total = 0;
  for (const auto &r : byte_ranges(striped)) {
    total += r.length;
  }
  CHECK(total == striped.size);

  // Only the first PV is there.
  const Assembly part = assemble_volume_groups({labels[0]});
  REQUIRE(part.vgs.size() == 1);
  const AssembledVg &pvg = part.vgs[0];
  CHECK(pvg.missing_pvs() == std::vector<std::string>{"pv1"});
  auto hit = pvg.lvs_on_missing_pvs();
  std::sort(hit.begin(), hit.end());
  CHECK(hit == std::vector<std::string>{"span", "striped"});
  REQUIRE_FALSE(pvg.problems.empty());
  CHECK(pvg.problems[0].find("PV pv1") != std::string::npos);
  CHECK(pvg.problems[0].find("is missing") != std::string::npos);
  CHECK(lv_access(lv_of(pvg, "solo")) == LvAccess::loop_at_offset);
  const LvMap &pstriped = lv_of(pvg, "striped");
  CHECK_FALSE(pstriped.complete());
  CHECK(lv_access(pstriped) == LvAccess::unavailable);
  const auto holes = byte_ranges(pstriped, 0, 2ULL * 65536);
  REQUIRE(holes.size() == 2);
  CHECK(holes[0].present);
  CHECK_FALSE(holes[1].present);
  CHECK(holes[1].path.empty());

  // Only the second: the VG is found through its own copy of the metadata.
  const Assembly other = assemble_volume_groups({labels[1]});
  REQUIRE(other.vgs.size() == 1);
  CHECK(other.vgs[0].missing_pvs() == std::vector<std::string>{"pv0"});
}

TEST_CASE("an image cut short: LVs in the lost part are reported past the end" *
          doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_root_swap_fixture(t);
  if (!fx) {
    return;
  }
  // The PV is 64 MiB; keep 20 MiB of it: root (16 MiB after the 1 MiB
  // pe_start) fits, swap does not.
  const auto &spec = fx->pvs[0];
  const std::string cut = t / "cut.img";
  test::copy_file(spec.image, cut);
  test::sh("truncate -s " + std::to_string(spec.offset + (20ULL << 20U)) + " " + cut);
  const PvLabel pv = read_image(cut, spec.offset, 20ULL << 20U);
  REQUIRE(pv.metadata);
  CHECK_FALSE(pv.problems.empty()); // the header records 64 MiB
  const Assembly a = assemble_volume_groups({pv});
  REQUIRE(a.vgs.size() == 1);
  const AssembledVg &vg = a.vgs[0];
  CHECK(lv_access(lv_of(vg, "root")) == LvAccess::loop_at_offset);
  const LvMap &swap = lv_of(vg, "swap");
  CHECK(lv_access(swap) == LvAccess::unavailable);
  REQUIRE(swap.problems.size() == 1);
  CHECK(swap.problems[0].find("past the 20971520 readable bytes") != std::string::npos);
}

TEST_CASE("metadata whose LV runs past the end of its PV, without root") {
  const std::string text = R"(vgx {
id = "KvvFdi-C3sd-DSdl-Tl60-SwVL-r1uZ-j8inoB"
seqno = 4
extent_size = 8
physical_volumes {
pv0 {
id = "0w4JQh-sQRh-pWPG-vzCt-273E-6MXR-oqTu8n"
pe_start = 8
pe_count = 10
}
}
logical_volumes {
ok { id = "a" status = ["VISIBLE"] segment_count = 1
segment1 { start_extent = 0 extent_count = 8 type = "striped" stripe_count = 1 stripes = ["pv0", 0] } }
over { id = "b" status = ["VISIBLE"] segment_count = 1
segment1 { start_extent = 0 extent_count = 4 type = "striped" stripe_count = 1 stripes = ["pv0", 8] } }
thin { id = "c" status = ["VISIBLE"] segment_count = 1
segment1 { start_extent = 0 extent_count = 1 type = "thin" thin_pool = "pool" } }
}
}
)";
  PvLabel pv;
  pv.path = "/images/host.img";
  pv.pv_offset = 1 << 20;
  pv.available = 4096 + 10 * 4096;
  pv.uuid = "0w4JQh-sQRh-pWPG-vzCt-273E-6MXR-oqTu8n";
  pv.metadata = MetadataCopy{text, parse_volume_group(text), 4096, 0, true};
  const Assembly a = assemble_volume_groups({pv});
  REQUIRE(a.vgs.size() == 1);
  const AssembledVg &vg = a.vgs[0];
  CHECK(vg.problems.empty());
  const auto run = single_run(lv_of(vg, "ok"));
  REQUIRE(run);
  CHECK(run->device_offset == (1 << 20) + 4096);
  CHECK(run->length == 8 * 4096);
  const LvMap &over = lv_of(vg, "over");
  CHECK(lv_access(over) == LvAccess::unavailable);
  REQUIRE(over.problems.size() == 1);
  CHECK(over.problems[0] == "LV over extents 0..3: PV pv0 extents 8..11 lie past its end "
                            "(pe_count 10)");
  const LvMap &thin = lv_of(vg, "thin");
  CHECK(lv_access(thin) == LvAccess::unavailable);
  CHECK(thin.problems.at(0).find("segment type 'thin' is not mapped here") != std::string::npos);

  // A PV no VG names is an orphan; a second copy of a PV is reported.
  PvLabel stray = pv;
  stray.uuid = "zzzzzz-zzzz-zzzz-zzzz-zzzz-zzzz-zzzzzz";
  stray.metadata.reset();
  PvLabel twin = pv;
  twin.path = "/images/clone.img";
  const Assembly b = assemble_volume_groups({pv, stray, twin});
  REQUIRE(b.orphans.size() == 1);
  CHECK(b.orphans[0].find("zzzzzz") != std::string::npos);
  REQUIRE(b.vgs.size() == 1);
  REQUIRE_FALSE(b.vgs[0].problems.empty());
  CHECK(b.vgs[0].problems[0].find("found twice") != std::string::npos);
}

TEST_CASE("sizes that overflow 64 bits leave an LV unmapped, and same-named VGs are reported") {
  auto text = [](const std::string &vg_id, const std::string &pv_id, const std::string &extents) {
    return "centos {\nid = \"" + vg_id + "\"\nseqno = 1\nextent_size = 4294967296\n" +
           "physical_volumes { pv0 { id = \"" + pv_id +
           "\" pe_start = 2048 pe_count = 4294967296 } }\n" +
           "logical_volumes { root { id = \"r\" status = [\"VISIBLE\"] segment_count = 1\n" +
           "segment1 { start_extent = 0 extent_count = " + extents +
           " type = \"striped\" stripe_count = 1 stripes = [\"pv0\", 0] } } }\n}\n";
  };
  auto label = [](const std::string &t, const std::string &uuid) {
    PvLabel pv;
    pv.path = "/dev/sd" + uuid.substr(0, 1);
    pv.available = 1ULL << 40U;
    pv.uuid = uuid;
    pv.metadata = MetadataCopy{t, parse_volume_group(t), 4096, 0, true};
    return pv;
  };
  const std::string a_id = "aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaa";
  const std::string b_id = "bbbbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbbbb";
  const Assembly a = assemble_volume_groups(
      {label(text("VGID01-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaa", a_id, "1073741824"), a_id),
       label(text("VGID02-bbbb-bbbb-bbbb-bbbb-bbbb-bbbbbb", b_id, "1"), b_id)});
  REQUIRE(a.vgs.size() == 2);
  REQUIRE(a.problems.size() == 1);
  CHECK(a.problems[0].find("two volume groups are named centos") != std::string::npos);
  const LvMap &huge = lv_of(a.vgs[0], "root");
  CHECK(huge.problems.at(0).find("do not fit 64 bits") != std::string::npos);
  CHECK(huge.size == 0);
  CHECK(lv_access(huge) == LvAccess::unavailable);
  CHECK(byte_ranges(huge).empty());
  // One 2 TiB extent on a PV of 1 TiB: placed, but past the readable end.
  const LvMap &one = lv_of(a.vgs[1], "root");
  CHECK(one.size == 1ULL << 41U);
  CHECK(lv_access(one) == LvAccess::unavailable);
}
