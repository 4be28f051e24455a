// Unreadable sectors through the byte-source seam: exactly the sectors
// that fail are marked '-' in the ddrescue mapfile and are zeros in the
// target, everything else is identical; ddrescuelog reads the mapfile;
// sectors that become readable on a retry pass are recovered.
#include "rescue/copy/copy_item.hpp"
#include "rescue/copy/mapfile.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "rescue/util/command.hpp"
#include "unit/copy/copy_fixture.hpp"
#include "unit/copy/fault_source.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace kvmr;
using namespace kvmr::test;

namespace {

constexpr std::uint64_t kSize = 32 * MiB;

struct BadCase {
  DataRange injected; // bytes whose reads fail
  DataRange expected; // the sectors that must be marked bad
};

const std::vector<BadCase> kBad = {
    {{5 * MiB + 1000, 3000}, {5 * MiB + 512, 3584}}, // inside one chunk
    {{17 * MiB - 300, 600}, {17 * MiB - 512, 1024}}, // across a chunk boundary
    {{26 * MiB, 64 * 1024}, {26 * MiB, 64 * 1024}},  // an aligned 64 KiB run
};

std::string run_out(const std::vector<std::string> &argv) {
  SystemCommandRunner r;
  const auto res = r.run(argv, std::chrono::seconds(30));
  INFO("stderr: " << res.err);
  REQUIRE(res.exit_code == 0);
  return res.out;
}

} // namespace

TEST_CASE("copy_item: injected EIO marks exactly those sectors bad, zeros on the target" *
          doctest::test_suite("tools")) {
  TempDir dir;
  const auto src_path = dir / "src.img";
  // Data everywhere except a hole at 28-30 MiB, which also "fails" but is
  // never read.
  make_sparse(src_path, kSize, {{0, 28 * MiB}, {30 * MiB, 2 * MiB}});
  io::FileByteSource file(src_path);
  FaultySource src(file);
  for (const auto &b : kBad) {
    src.fail_range(b.injected.offset, b.injected.length);
  }
  src.fail_range(29 * MiB, 4096); // in the hole

  const auto dst = dir / "dst.img";
  auto opt = test_options();
  opt.retry_passes = 2;
  const auto r = copy::copy_item(src, dst, opt, nullptr);

  // The expected image: the source with the bad sectors zeroed.
  const auto expected = dir / "expected.img";
  sh("cp --sparse=always '" + src_path + "' '" + expected + "'");
  for (const auto &b : kBad) {
    write_zeros(expected, b.expected.offset, b.expected.length);
  }
  CHECK(same_content(expected, dst));
  CHECK(r.hash == xxh128_of(expected));

  REQUIRE(r.bad_ranges.size() == kBad.size());
  for (std::size_t i = 0; i < kBad.size(); ++i) {
    CHECK(r.bad_ranges[i].offset == kBad[i].expected.offset);
    CHECK(r.bad_ranges[i].length == kBad[i].expected.length);
  }
  // Everything else was read exactly once (only good bytes are counted).
  CHECK(r.bytes_read == r.data_bytes - 3584 - 1024 - 64 * 1024);

  // The mapfile: '+' everywhere but the bad sectors.
  REQUIRE(r.map_path == dst + ".map");
  const auto map = copy::load_mapfile(r.map_path);
  REQUIRE(map.has_value());
  std::vector<copy::MapBlock> want;
  std::uint64_t at = 0;
  for (const auto &b : kBad) {
    copy::append_block(want, {at, b.expected.offset - at, copy::MapStatus::finished});
    copy::append_block(want, {b.expected.offset, b.expected.length, copy::MapStatus::bad});
    at = b.expected.offset + b.expected.length;
  }
  copy::append_block(want, {at, kSize - at, copy::MapStatus::finished});
  CHECK(map->blocks == want);
  CHECK(map->current_status == '+');
  CHECK_FALSE(exists(dst + ".partial.state"));

  SUBCASE("ddrescuelog reads the mapfile") {
    KVMR_SKIP_UNLESS(have("ddrescuelog"),
                     "ddrescuelog is not installed (package gddrescue, scripts/setup)");
    // -l- lists the bad blocks, as sector numbers with -b 512.
    const auto listed = run_out({"ddrescuelog", "-b", "512", "-l-", r.map_path});
    std::string want_list;
    for (const auto &b : kBad) {
      for (std::uint64_t s = b.expected.offset / 512;
           s < (b.expected.offset + b.expected.length) / 512; ++s) {
        want_list += std::to_string(s) + "\n";
      }
    }
    CHECK(listed == want_list);
    const auto status = run_out({"ddrescuelog", "-t", r.map_path});
    CHECK(status.find("bad-sector") != std::string::npos);
  }
}

TEST_CASE("copy_item: sectors readable again on a retry pass are recovered") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 8 * MiB, {{0, 8 * MiB}});
  io::FileByteSource file(src_path);
  FaultySource src(file);
  src.fail_range(3 * MiB + 7000, 100);
  RecordingSink sink;
  sink.hook = [&](const copy::CopyProgress &p) {
    if (p.phase == copy::CopyPhase::retrying) {
      src.heal();
    }
  };
  const auto dst = dir / "dst.img";
  const auto r = copy::copy_item(src, dst, test_options(), &sink);
  CHECK(r.bad_ranges.empty());
  CHECK(same_content(src_path, dst));
  CHECK(r.hash == xxh128_of(src_path));
  CHECK(r.map_path.empty());
  CHECK_FALSE(exists(dst + ".map"));
}

TEST_CASE("copy_item: with no retry passes the bad sectors are read once") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 4 * MiB, {{0, 4 * MiB}});
  io::FileByteSource file(src_path);
  FaultySource src(file);
  src.fail_range(MiB, 512);
  auto opt = test_options();
  opt.retry_passes = 0;
  const auto r = copy::copy_item(src, dir / "dst.img", opt, nullptr);
  REQUIRE(r.bad_ranges.size() == 1);
  CHECK(r.bad_ranges[0] == copy::ByteRange{MiB, 512});
  // Halving a 1 MiB chunk down to one sector: log2(2048) + 1 failing reads.
  CHECK(src.failed_reads() == 12);
}

TEST_CASE("copy_item: bad ranges are found down to the configured sector size") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 4 * MiB, {{0, 4 * MiB}});
  io::FileByteSource file(src_path);
  FaultySource src(file);
  src.fail_range(MiB + 100, 10);
  auto opt = test_options();
  opt.sector_size = 4096;
  opt.retry_passes = 0;
  const auto r = copy::copy_item(src, dir / "dst.img", opt, nullptr);
  REQUIRE(r.bad_ranges.size() == 1);
  CHECK(r.bad_ranges[0] == copy::ByteRange{MiB, 4096});
}

TEST_CASE("copy_item: failed reads are narrowed with direct reads, unless told otherwise") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 4 * MiB, {{0, 4 * MiB}});
  io::FileByteSource file(src_path);
  // The direct reads of a copy with two bad sectors at 2 MiB + 1536.
  const auto direct_reads = [&](const copy::CopyOptions &opt) {
    FaultySource src(file);
    src.fail_range(2 * MiB + 1536, 1024);
    const auto r = copy::copy_item(src, dir / "dst.img", opt, nullptr);
    REQUIRE(r.bad_ranges.size() == 1);
    CHECK(r.bad_ranges[0] == copy::ByteRange{2 * MiB + 1536, 1024});
    return src.direct_reads();
  };
  auto opt = test_options();
  opt.retry_passes = 0;
  opt.direct_read = false;
  // Halving the failed 1 MiB chunk down to the two bad sectors: 26 reads.
  CHECK(direct_reads(opt) == 26);
  // The retry pass reads directly too: the 1 KiB range, then its halves.
  opt.retry_passes = 1;
  CHECK(direct_reads(opt) == 26 + 3);
  // By default the first pass reads directly as well: one read per chunk.
  opt.direct_read = true;
  CHECK(direct_reads(opt) == 4 + 26 + 3);
  // Buffered everywhere, for comparison: the same bad range here (the
  // fault source has no page cache), no direct read.
  opt.direct_read = false;
  opt.direct_split = false;
  CHECK(direct_reads(opt) == 0);
}

TEST_CASE("copy_item: a file whose size is no multiple of the sector size, bad at its end") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  const std::uint64_t size = 3 * MiB + 700; // the last sector holds 188 bytes
  make_sparse(src_path, size, {{0, size}});
  io::FileByteSource file(src_path);
  FaultySource src(file);
  src.fail_range(size - 100, 100);
  const auto dst = dir / "dst.img";
  const auto r = copy::copy_item(src, dst, test_options(), nullptr);
  REQUIRE(r.bad_ranges.size() == 1);
  CHECK(r.bad_ranges[0] == copy::ByteRange{3 * MiB + 512, 188});
  const auto expected = dir / "expected.img";
  sh("cp --sparse=always '" + src_path + "' '" + expected + "'");
  write_zeros(expected, 3 * MiB + 512, 188);
  CHECK(same_content(expected, dst));
  CHECK(r.size == size);
}
