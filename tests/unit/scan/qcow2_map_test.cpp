// The qcow2 reverse map against real images made by qemu-img and
// qemu-io, checked with qemu's own tools: every cluster of the image file
// in turn is zero-filled in a copy (what the copy engine leaves for an
// unreadable range), and the guest bytes that then change (qemu-img
// convert to raw, before and after) must be the ones the map names; data
// hits must agree with `qemu-img map --output=json`.
#include "rescue/io/file_byte_source.hpp"
#include "rescue/scan/qcow2.hpp"
#include "rescue/scan/qcow2_map.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/image_fixture.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>

using namespace kvmr;
using namespace kvmr::scan;
using kvmr::test::capture;
using kvmr::test::sh;
using kvmr::test::slurp;

namespace {

struct MapEntry {
  std::uint64_t start = 0;
  std::uint64_t length = 0;
  bool data = false;
  std::optional<std::uint64_t> offset; // absent for compressed clusters
};

// qemu-img map --output=json: the ground truth for data clusters.
std::vector<MapEntry> qemu_map(const std::string &img) {
  const auto j = nlohmann::json::parse(capture("qemu-img map --output=json " + img));
  std::vector<MapEntry> out;
  for (const auto &e : j) {
    MapEntry m{e.at("start"), e.at("length"), e.at("data"), std::nullopt};
    if (e.contains("offset")) {
      m.offset = e.at("offset").get<std::uint64_t>();
    }
    out.push_back(m);
  }
  return out;
}

std::vector<Qcow2Hit> map_file(const std::string &img, const std::vector<Qcow2Range> &bad) {
  io::FileByteSource src(img);
  return map_qcow2_damage(src, bad);
}

// A copy of IMG with BAD zero-filled, as the copy engine leaves it.
std::string damaged_copy(const std::string &img, const Qcow2Range &bad) {
  std::string out = img + ".damaged";
  std::filesystem::copy_file(img, out, std::filesystem::copy_options::overwrite_existing);
  test::patch(out, bad.offset, std::string(static_cast<std::size_t>(bad.length), '\0'));
  return out;
}

// The guest bytes of IMG (OPTS: extra qemu-img convert options), or
// nullopt when qemu cannot read it.
std::optional<std::string> guest_bytes(const std::string &img, const std::string &opts = "") {
  const std::string raw = img + ".raw";
  if (std::system(
          ("qemu-img convert -f qcow2 -O raw " + opts + " " + img + " " + raw + " 2>/dev/null")
              .c_str()) != 0) {
    return std::nullopt;
  }
  return slurp(raw);
}

// The 512-byte blocks where A and B differ, as merged ranges.
std::vector<Qcow2Range> differences(const std::string &a, const std::string &b) {
  REQUIRE(a.size() == b.size());
  std::vector<Qcow2Range> out;
  for (std::size_t at = 0; at < a.size(); at += 512) {
    if (a.compare(at, 512, b, at, 512) == 0) {
      continue;
    }
    if (!out.empty() && out.back().offset + out.back().length == at) {
      out.back().length += 512;
    } else {
      out.push_back({at, 512});
    }
  }
  return out;
}

bool within(const std::vector<Qcow2Range> &inner, const std::vector<Qcow2Range> &outer) {
  for (const auto &i : inner) {
    bool ok = false;
    for (const auto &o : outer) {
      ok = ok || (i.offset >= o.offset && i.offset + i.length <= o.offset + o.length);
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

// The guest range qemu-img map gives for the file bytes [OFF, OFF+LEN).
std::optional<Qcow2Range> qemu_guest_of(const std::vector<MapEntry> &map, std::uint64_t off,
                                        std::uint64_t len) {
  for (const auto &e : map) {
    if (e.offset && off >= *e.offset && off + len <= *e.offset + e.length) {
      return Qcow2Range{e.start + (off - *e.offset), len};
    }
  }
  return std::nullopt;
}

// Zero-fills each cluster of IMG in turn and checks what the map says
// against what qemu then reads. Returns how many clusters fell in each area.
std::map<Qcow2Area, int> sweep(const std::string &img, const std::string &convert_opts = "") {
  const std::string head = slurp(img);
  const auto h = parse_qcow2_header(std::as_bytes(std::span(head)), img, true);
  const auto before = guest_bytes(img, convert_opts);
  REQUIRE(before.has_value());
  const auto map = qemu_map(img);
  std::map<Qcow2Area, int> seen;
  for (std::uint64_t off = 0; off < head.size(); off += h.cluster_size) {
    const Qcow2Range bad{off, std::min<std::uint64_t>(h.cluster_size, head.size() - off)};
    const auto hits = map_file(img, {bad});
    REQUIRE(hits.size() == 1);
    const Qcow2Hit &hit = hits[0];
    ++seen[hit.area];
    INFO(fmt::format("cluster at 0x{:x}: {}: {}", off, to_string(hit.area), hit.detail));
    const auto after = guest_bytes(damaged_copy(img, bad), convert_opts);
    if (hit.area == Qcow2Area::header) {
      CHECK(!after.has_value()); // qemu refuses the image without its header
      CHECK(hit.detail.find("metadata (unreadable)") != std::string::npos);
      continue;
    }
    if (hit.area == Qcow2Area::unknown) {
      // Here: a persistent bitmap's directory; qemu refuses the image
      // without it. Nothing of the guest's is in it.
      CHECK(hit.detail.find("in use (refcount above 0)") != std::string::npos);
      if (after.has_value()) {
        CHECK(differences(*before, *after).empty());
      }
      continue;
    }
    REQUIRE(after.has_value());
    const auto diff = differences(*before, *after);
    CHECK(within(diff, hit.guest_ranges));
    switch (hit.area) {
    case Qcow2Area::data: {
      CHECK(diff == hit.guest_ranges); // every written byte is nonzero
      const auto q = qemu_guest_of(map, bad.offset, bad.length);
      REQUIRE(q.has_value());
      CHECK(hit.guest_ranges == std::vector<Qcow2Range>{*q});
      break;
    }
    case Qcow2Area::l1:
    case Qcow2Area::l2:
      CHECK(!diff.empty()); // every table here maps some written data
      CHECK(hit.detail.find("metadata (unreadable)") != std::string::npos);
      break;
    case Qcow2Area::refcount:
    case Qcow2Area::snapshot:
    case Qcow2Area::unallocated: CHECK(diff.empty()); break;

    default: FAIL("unexpected area " << to_string(hit.area)); break;
    }
  }
  return seen;
}

bool need_qemu_io() {
  if (!test::need_qemu_img()) {
    return false;
  }
  if (test::have("qemu-io")) {
    return true;
  }
  test::skip("qemu-io not installed (scripts/setup installs qemu-utils)");
  return false;
}

} // namespace

TEST_CASE("qcow2 map: every cluster of a qemu-io image told as qemu reads it" *
          doctest::test_suite("tools")) {
  if (!need_qemu_io()) {
    return;
  }
  test::TempDir tmp;
  const std::string img = tmp / "a.qcow2";
  test::make_qcow2(img, "64M", {"0xaa 1M 64k", "0xbb 40M 192k", "0xcc 10M 64k"});
  const auto seen = sweep(img);
  CHECK(seen.at(Qcow2Area::header) == 1);
  CHECK(seen.at(Qcow2Area::l1) == 1);
  CHECK(seen.at(Qcow2Area::l2) == 1);
  CHECK(seen.at(Qcow2Area::refcount) == 2); // the table and one block
  CHECK(seen.at(Qcow2Area::data) == 5);

  SUBCASE("sector-sized ranges inside data clusters, in the given order") {
    const auto map = qemu_map(img);
    std::vector<Qcow2Range> bad;
    std::vector<Qcow2Range> want;
    for (const auto &e : map) {
      if (e.data) {
        bad.push_back({*e.offset + e.length - 4096, 4096});
        want.push_back({e.start + e.length - 4096, 4096});
        bad.push_back({*e.offset + 512, 512});
        want.push_back({e.start + 512, 512});
      }
    }
    REQUIRE(bad.size() == 6);
    const auto hits = map_file(img, bad);
    REQUIRE(hits.size() == bad.size());
    for (std::size_t n = 0; n < bad.size(); ++n) {
      CHECK(hits[n].area == Qcow2Area::data);
      CHECK(hits[n].areas == std::vector<Qcow2Area>{Qcow2Area::data});
      CHECK(hits[n].guest_ranges == std::vector<Qcow2Range>{want[n]});
      CHECK(hits[n].detail.empty());
    }
  }

  SUBCASE("a range over the L1 table and the next clusters names every area it meets") {
    const std::string head = slurp(img);
    const auto h = parse_qcow2_header(std::as_bytes(std::span(head)), img, true);
    const auto hits = map_file(img, {{h.l1_table_offset, 3 * h.cluster_size}});
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].area == Qcow2Area::l1);
    CHECK(hits[0].guest_ranges == std::vector<Qcow2Range>{{0, 64 << 20}});
    // qemu-img lays the L1 table out before the L2 table and the data.
    CHECK(hits[0].areas == std::vector<Qcow2Area>{Qcow2Area::l1, Qcow2Area::l2, Qcow2Area::data});
  }
}

TEST_CASE("qcow2 map: read from the copy, a lost L2 table leaves its data clusters unknown" *
          doctest::test_suite("tools")) {
  if (!need_qemu_io()) {
    return;
  }
  test::TempDir tmp;
  const std::string img = tmp / "l.qcow2";
  test::make_qcow2(img, "64M", {"0xaa 1M 64k"});
  const std::string head = slurp(img);
  const auto h = parse_qcow2_header(std::as_bytes(std::span(head)), img, true);
  const auto map = qemu_map(img);
  std::uint64_t data = 0;
  for (const auto &e : map) {
    if (e.offset) {
      data = *e.offset;
    }
  }
  REQUIRE(data != 0);
  // The L2 table: the only cluster between the L1 table and the data.
  const std::uint64_t l2 = h.l1_table_offset + h.cluster_size;
  REQUIRE(map_file(img, {{l2, 512}})[0].area == Qcow2Area::l2);
  // The copy engine's output: both ranges zero-filled.
  const std::string copy = damaged_copy(img, {l2, 512});
  test::patch(copy, data, std::string(4096, '\0'));
  const auto hits = map_file(copy, {{l2, 512}, {data, 4096}});
  CHECK(hits[0].area == Qcow2Area::l2);
  // 512 bytes of entries: 64 guest clusters of 64 KiB.
  CHECK(hits[0].guest_ranges == std::vector<Qcow2Range>{{0, std::uint64_t{64} * 65536}});
  CHECK(hits[0].detail.find("metadata (unreadable): L2 table entries") == 0);
  CHECK(hits[1].area == Qcow2Area::unknown);
  CHECK(hits[1].guest_ranges.empty());
  CHECK(hits[1].detail.find("data whose L2 entry is unreadable") != std::string::npos);
}

TEST_CASE("qcow2 map: refcounts of every width tell unallocated from in-use clusters" *
          doctest::test_suite("tools")) {
  if (!need_qemu_io()) {
    return;
  }
  // A discarded cluster (refcount 0) and a persistent bitmap's directory
  // (in use, reached from no L1/L2 table).
  for (const int bits : {1, 2, 4, 8, 16, 32, 64}) {
    CAPTURE(bits);
    test::TempDir tmp;
    const std::string img = tmp / "d.qcow2";
    sh(fmt::format("qemu-img create -q -f qcow2 -o refcount_bits={0} {1} 16M && qemu-img bitmap "
                   "--add {1} b0 && qemu-io -c 'write -P 0xaa 1M 64k' -c 'write -P 0xbb 2M 64k' "
                   "-c 'write -P 0xcc 3M 64k' {1} >/dev/null && qemu-io -c 'discard 2M 64k' {1} "
                   ">/dev/null",
                   bits, img));
    const auto seen = sweep(img);
    CHECK(seen.count(Qcow2Area::unallocated) == 1);
    CHECK(seen.count(Qcow2Area::unknown) == 1);
    CHECK(seen.at(Qcow2Area::data) == 2);
  }
}

TEST_CASE("qcow2 map: compressed clusters give their whole guest clusters" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  test::TempDir tmp;
  const std::string raw = tmp / "p.raw";
  const std::string img = tmp / "c.qcow2";
  sh("head -c 1M < <(yes 'kvm-rescue compressible text') > " + raw +
     " && qemu-img convert -c -O qcow2 " + raw + " " + img);
  const auto map = qemu_map(img);
  REQUIRE(map.size() == 1);
  REQUIRE(map[0].data);
  REQUIRE(!map[0].offset); // qemu-img map gives no offset for compressed data
  const std::string head = slurp(img);
  const std::uint64_t last = (head.size() - 1) & ~std::uint64_t{0xffff};
  const auto hits = map_file(img, {{last + 512, 512}});
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].area == Qcow2Area::data);
  CHECK(hits[0].detail.find("compressed") != std::string::npos);
  REQUIRE(!hits[0].guest_ranges.empty());
  CHECK(within(hits[0].guest_ranges, {{map[0].start, map[0].length}}));
  for (const auto &g : hits[0].guest_ranges) {
    CHECK(g.offset % 65536 == 0);
    CHECK(g.length % 65536 == 0);
  }
}

TEST_CASE("qcow2 map: a cluster only a snapshot keeps is told as the snapshot's" *
          doctest::test_suite("tools")) {
  if (!need_qemu_io()) {
    return;
  }
  test::TempDir tmp;
  const std::string img = tmp / "s.qcow2";
  test::make_qcow2(img, "16M", {"0xaa 1M 64k"});
  sh("qemu-img snapshot -c before " + img + " && qemu-io -c 'write -P 0xbb 1M 64k' " + img +
     " >/dev/null");
  const auto seen = sweep(img);
  CHECK(seen.at(Qcow2Area::data) == 1);
  CHECK(seen.at(Qcow2Area::snapshot) >= 2); // the table, the old data (and its L1 table)

  // The old data cluster: only the snapshot's view changes.
  const auto before = guest_bytes(img, "-l snapshot.name=before");
  REQUIRE(before.has_value());
  const std::string head = slurp(img);
  bool found = false;
  for (std::uint64_t off = 0; off < head.size(); off += 65536) {
    const auto hits = map_file(img, {{off, 65536}});
    if (hits[0].detail.find("data of snapshot 'before' only") == std::string::npos) {
      continue;
    }
    found = true;
    CHECK(hits[0].area == Qcow2Area::snapshot);
    CHECK(hits[0].detail.find("guest offset 0x100000") != std::string::npos);
    const auto after = guest_bytes(damaged_copy(img, {off, 65536}), "-l snapshot.name=before");
    REQUIRE(after.has_value());
    CHECK(differences(*before, *after) == std::vector<Qcow2Range>{{1 << 20, 65536}});
  }
  CHECK(found);
}

TEST_CASE("qcow2 map: images it cannot map say why" * doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  test::TempDir tmp;
  SUBCASE("extended L2 entries") {
    const std::string img = tmp / "e.qcow2";
    sh("qemu-img create -q -f qcow2 -o extended_l2=on " + img + " 1M");
    const auto hits = map_file(img, {{0, 512}, {196608, 512}});
    CHECK(hits[0].area == Qcow2Area::header);
    CHECK(hits[1].area == Qcow2Area::unknown);
    CHECK(hits[1].detail == "not mapped: extended L2 entries (subclusters) are not supported");
  }
  SUBCASE("an external data file") {
    const std::string img = tmp / "x.qcow2";
    sh("cd " + tmp.path().string() + " && qemu-img create -q -f qcow2 -o data_file=x.raw " + img +
       " 1M");
    const auto hits = map_file(img, {{196608, 512}});
    CHECK(hits[0].area == Qcow2Area::unknown);
    CHECK(hits[0].detail.find("not mapped: the image keeps its guest data in an external data "
                              "file (x.raw)") == 0);
  }
  SUBCASE("a header lost to the damage") {
    const std::string img = tmp / "h.qcow2";
    sh("qemu-img create -q -f qcow2 " + img + " 1M");
    test::patch(img, 0, std::string(512, '\0'));
    const auto hits = map_file(img, {{0, 512}, {196608, 512}});
    CHECK(hits[0].area == Qcow2Area::header);
    CHECK(hits[0].detail.find("metadata (unreadable)") == 0);
    CHECK(hits[1].area == Qcow2Area::unknown);
    CHECK(hits[1].detail == "not mapped: the qcow2 header is damaged");
  }
  SUBCASE("not a qcow2 image, undamaged header") {
    const std::string img = tmp / "r.raw";
    sh("head -c 1M /dev/zero > " + img);
    const auto hits = map_file(img, {{4096, 512}});
    CHECK(hits[0].area == Qcow2Area::unknown);
    CHECK(hits[0].detail.find("not mapped: ") == 0);
    CHECK(hits[0].detail.find("not a qcow2 image") != std::string::npos);
  }
}
