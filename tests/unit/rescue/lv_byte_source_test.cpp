// LvByteSource on VGs made by the real LVM tools: a pattern is written
// into the PV images where `pvs` and `lvs --segments` say each LV byte
// lies (worked out here, independently of the project's map), then read
// back through the LV's segment map across segment and stripe-chunk
// boundaries; then a missing PV and a PV image cut short.
#include "rescue/io/lv_byte_source.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"
#include "unit/rescue/lvm_fixture.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

using namespace kvmr;      // NOLINT(google-build-using-namespace)
using namespace kvmr::lvm; // NOLINT(google-build-using-namespace)
using io::Extent;
using io::ExtentKind;
using io::LvByteSource;

namespace {

constexpr std::uint64_t kMiB = 1ULL << 20U;

std::vector<PvLabel> read_all(const test::LvmFixture &fx, std::size_t count = SIZE_MAX) {
  std::vector<PvLabel> out;
  for (std::size_t i = 0; i < std::min(count, fx.pvs.size()); ++i) {
    auto fd = open_read_only(fx.pvs[i].image);
    out.push_back(read_pv_label(fd.get(), fx.pvs[i].image, fx.pvs[i].offset, fx.pv_size(i)));
  }
  return out;
}

// Every 8 bytes: the LV offset mixed with SEED, so a byte read from the
// wrong place (another segment, chunk or LV) cannot match.
std::vector<std::byte> pattern(std::uint64_t size, std::uint64_t seed) {
  std::vector<std::byte> out(size);
  for (std::uint64_t o = 0; o + 8 <= size; o += 8) {
    const std::uint64_t v = (o * 0x9E3779B97F4A7C15ULL) ^ seed;
    std::memcpy(out.data() + o, &v, 8);
  }
  return out;
}

void write_at(const std::string &path, std::uint64_t offset, std::span<const std::byte> b) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const auto n = ::pwrite(fd, b.data(), b.size(), static_cast<off_t>(offset));
  ::close(fd);
  REQUIRE(n == static_cast<ssize_t>(b.size()));
}

// Writes PATTERN as the bytes of LV into the fixture's images: for each
// `lvs` segment, from seg_start_pe/seg_size_pe, seg_pe_ranges, stripe_size,
// pe_start and the extent size; chunk K of a striped segment lies on
// stripe K mod N, (K div N) chunks into it.
void write_lv(const test::LvmFixture &fx, const std::string &lv, std::span<const std::byte> data) {
  const std::uint64_t ext = fx.extent_size;
  std::uint64_t written = 0;
  for (const auto &row : fx.lvs) {
    if (row.lv != lv) {
      continue;
    }
    const auto ranges = test::parse_pe_ranges(row.seg_pe_ranges);
    const std::uint64_t n = ranges.size();
    const std::uint64_t seg_start = row.seg_start_pe * ext;
    const std::uint64_t seg_len = row.seg_size_pe * ext;
    const std::uint64_t chunk = n == 1 ? seg_len : row.stripe_size;
    REQUIRE(chunk != 0);
    for (std::uint64_t k = 0; k * chunk < seg_len; ++k) {
      const auto &r = ranges[k % n];
      const std::size_t pv = fx.index_of_loop(r.device);
      const auto &rep = *std::find_if(fx.pvs_report.begin(), fx.pvs_report.end(),
                                      [&](const test::PvsRow &p) { return p.name == r.device; });
      const std::uint64_t dev = fx.pvs[pv].offset + rep.pe_start + r.first * ext + (k / n) * chunk;
      write_at(fx.pvs[pv].image, dev, data.subspan(seg_start + k * chunk, chunk));
      written += chunk;
    }
  }
  REQUIRE(written == data.size());
}

// Reads all of SRC in steps of STEP bytes and compares with WANT.
void check_reads(LvByteSource &src, std::span<const std::byte> want, std::size_t step) {
  REQUIRE(src.size() == want.size());
  std::vector<std::byte> buf(step);
  for (std::uint64_t off = 0; off < want.size(); off += step) {
    const std::size_t n = src.read_at(off, buf);
    const std::size_t expect =
        static_cast<std::size_t>(std::min<std::uint64_t>(step, want.size() - off));
    REQUIRE(n == expect);
    INFO("LV offset " << off);
    REQUIRE(std::memcmp(buf.data(), want.data() + off, n) == 0);
  }
}

// Windows of 2*HALF bytes around each boundary B.
void check_boundaries(LvByteSource &src, std::span<const std::byte> want,
                      const std::vector<std::uint64_t> &boundaries, std::size_t half) {
  std::vector<std::byte> buf(2 * half);
  for (const auto b : boundaries) {
    INFO("boundary at LV offset " << b);
    REQUIRE(src.read_at(b - half, buf) == buf.size());
    CHECK(std::memcmp(buf.data(), want.data() + (b - half), buf.size()) == 0);
    // The same through direct reads of each PV (O_DIRECT), unaligned.
    std::fill(buf.begin(), buf.end(), std::byte{0x5a});
    REQUIRE(src.read_direct(b - half + 1, std::span(buf).first(buf.size() - 1)) == buf.size() - 1);
    CHECK(std::memcmp(buf.data(), want.data() + (b - half + 1), buf.size() - 1) == 0);
  }
}

const LvMap &lv_of(const AssembledVg &vg, const std::string &name) {
  const LvMap *lv = vg.find_lv(name);
  REQUIRE(lv != nullptr);
  return *lv;
}

} // namespace

TEST_CASE("LvByteSource reads a multi-segment linear LV byte for byte" *
          doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_lvm_fixture(
      t, {{"multi.img", 40 * kMiB, kMiB, 32 * kMiB}},
      {"vgcreate -s 1m vg_m {0}", "lvcreate -an -Zn -Wn -n multi -l 3 vg_m {0}:0-9",
       "lvcreate -an -Zn -Wn -n after -l 2 vg_m {0}", "lvextend -l +4 vg_m/multi {0}:8-11",
       "lvextend -l +2 vg_m/multi {0}:20-21"},
      "vg_m");
  if (!fx) {
    return;
  }
  const Assembly a = assemble_volume_groups(read_all(*fx));
  REQUIRE(a.vgs.size() == 1);
  const LvMap &multi = lv_of(a.vgs[0], "multi");
  REQUIRE(multi.segments.size() == 3);
  const auto want = pattern(multi.size, 0x1111);
  write_lv(*fx, "multi", want);

  LvByteSource src("vg_m/multi", multi);
  CHECK(src.describe() == "vg_m/multi");
  CHECK(src.size() == 9 * kMiB);
  check_reads(src, want, kMiB + 4097);
  check_reads(src, want, 9 * kMiB);
  check_boundaries(src, want, {3 * kMiB, 7 * kMiB}, 3000);
  std::vector<std::byte> buf(100);
  CHECK(src.read_at(src.size() - 10, buf) == 10);
  CHECK(std::memcmp(buf.data(), want.data() + want.size() - 10, 10) == 0);
  CHECK(src.read_at(src.size(), buf) == 0);

  const auto ext = src.extents(0, UINT64_MAX);
  REQUIRE(ext.size() == 1);
  CHECK(ext[0] == Extent{0, 9 * kMiB, ExtentKind::data});
  // Never written: the image file's hole shows through.
  LvByteSource after("vg_m/after", lv_of(a.vgs[0], "after"));
  const auto holes = after.extents(0, UINT64_MAX);
  REQUIRE(holes.size() == 1);
  CHECK(holes[0] == Extent{0, 2 * kMiB, ExtentKind::hole});
}

TEST_CASE("LvByteSource reads a striped LV chunk by chunk, then a PV goes missing" *
          doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_lvm_fixture(
      t, {{"a.img", 32 * kMiB}, {"b.img", 32 * kMiB}},
      {"vgcreate -s 1m vg_s {0} {1}",
       "lvcreate -an -Zn -Wn -n striped -i 2 -I 64k -l 6 vg_s {0} {1}",
       "lvcreate -an -Zn -Wn -n solo -l 2 vg_s {0}", "lvextend -i 1 -l +2 vg_s/striped {1}"},
      "vg_s");
  if (!fx) {
    return;
  }
  const auto labels = read_all(*fx);
  const Assembly a = assemble_volume_groups(labels);
  REQUIRE(a.vgs.size() == 1);
  const LvMap &striped = lv_of(a.vgs[0], "striped");
  REQUIRE(striped.segments.size() == 2);
  CHECK(striped.segments[0].stripes.size() == 2);
  CHECK(striped.segments[1].stripes.size() == 1);
  const auto want = pattern(striped.size, 0x2222);
  write_lv(*fx, "striped", want);

  LvByteSource src("vg_s/striped", striped);
  CHECK(src.size() == 8 * kMiB);
  check_reads(src, want, 100000); // not a multiple of the 64 KiB chunk
  check_reads(src, want, 8 * kMiB);
  check_boundaries(src, want, {65536, 2 * 65536, 6 * kMiB}, 1000);
  const auto ext = src.extents(0, UINT64_MAX);
  REQUIRE(ext.size() == 1);
  CHECK(ext[0] == Extent{0, 8 * kMiB, ExtentKind::data});

  // Only the first PV: its chunks read, the others fail naming the LV
  // and the LV offset.
  const Assembly part = assemble_volume_groups(read_all(*fx, 1));
  REQUIRE(part.vgs.size() == 1);
  LvByteSource half("vg_s/striped", lv_of(part.vgs[0], "striped"));
  std::vector<std::byte> buf(65536);
  CHECK(half.read_at(0, buf) == buf.size());
  CHECK(std::memcmp(buf.data(), want.data(), buf.size()) == 0);
  try {
    half.read_at(65536 - 100, buf);
    FAIL("read bytes of a missing PV");
  } catch (const SysError &e) {
    CHECK(e.path() == "vg_s/striped");
    CHECK(e.error_code() == ENXIO);
    CHECK(std::string(e.what()).find("LV offset 65536") != std::string::npos);
    CHECK(std::string(e.what()).find("missing PV pv1") != std::string::npos);
  }
  const auto holes = half.extents(0, 4 * 65536);
  REQUIRE(holes.size() == 4);
  CHECK(holes[0] == Extent{0, 65536, ExtentKind::data});
  CHECK(holes[1] == Extent{65536, 65536, ExtentKind::unreadable});
  CHECK(holes[3] == Extent{3 * 65536, 65536, ExtentKind::unreadable});
  const auto tail = half.extents(6 * kMiB, UINT64_MAX); // the linear part on pv1
  REQUIRE(tail.size() == 1);
  CHECK(tail[0] == Extent{6 * kMiB, 2 * kMiB, ExtentKind::unreadable});
}

TEST_CASE("LvByteSource on a PV image cut short" * doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_root_swap_fixture(t);
  if (!fx) {
    return;
  }
  const auto &spec = fx->pvs[0];
  const auto want = pattern(16 * kMiB, 0x3333);
  write_lv(*fx, "root", want);
  // 21 MiB of the 80 MiB image: the partition at 1 MiB, pe_start 1 MiB,
  // root's 16 MiB, then 3 MiB of swap.
  const std::string cut = t / "cut.img";
  test::copy_file(spec.image, cut);
  test::sh("truncate -s " + std::to_string(21 * kMiB) + " " + cut);
  REQUIRE(fx->pvs_report[0].pe_start == kMiB);

  SUBCASE("the label says how long the partition really is: swap is past its end") {
    auto fd = open_read_only(cut);
    const Assembly a = assemble_volume_groups({read_pv_label(fd.get(), cut, kMiB, 20 * kMiB)});
    REQUIRE(a.vgs.size() == 1);
    LvByteSource root("vg_root/root", lv_of(a.vgs[0], "root"));
    check_reads(root, want, 3 * kMiB);
    LvByteSource swap("vg_root/swap", lv_of(a.vgs[0], "swap"));
    std::vector<std::byte> buf(10);
    CHECK_THROWS_WITH_AS(swap.read_at(0, buf),
                         doctest::Contains("vg_root/swap: read at LV offset 0"), SysError);
    const auto ext = swap.extents(0, UINT64_MAX);
    REQUIRE(ext.size() == 1);
    CHECK(ext[0].kind == ExtentKind::unreadable);
  }
  SUBCASE("the caller claims the whole partition: the read finds where it ends") {
    auto fd = open_read_only(cut);
    const Assembly a = assemble_volume_groups({read_pv_label(fd.get(), cut, kMiB, 64 * kMiB)});
    REQUIRE(a.vgs.size() == 1);
    LvByteSource swap("vg_root/swap", lv_of(a.vgs[0], "swap"));
    std::vector<std::byte> buf(100);
    CHECK(swap.read_at(3 * kMiB - 100, buf) == 100);
    try {
      swap.read_at(3 * kMiB - 10, buf);
      FAIL("read past the end of the image");
    } catch (const SysError &e) {
      CHECK(e.path() == "vg_root/swap");
      CHECK(std::string(e.what()).find("LV offset 3145728") != std::string::npos);
      CHECK(std::string(e.what()).find("the PV ends at byte 22020096") != std::string::npos);
    }
    const auto ext = swap.extents(0, UINT64_MAX);
    REQUIRE(ext.size() == 2);
    CHECK(ext[0] == Extent{0, 3 * kMiB, ExtentKind::hole});
    CHECK(ext[1] == Extent{3 * kMiB, 5 * kMiB, ExtentKind::unreadable});
  }
}
