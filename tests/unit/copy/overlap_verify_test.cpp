// Verification trailing the copy (CopyOptions::overlap_verify): chunks are
// read back while later ones are still being copied, with the same result
// as one pass after the other; a chunk an earlier run finished that is
// wrong on the target is caught by the trailing verification. (Unreadable
// sectors leave verification to after the retry passes: bad_sector_test's
// "sectors readable again on a retry pass are recovered" gets the source's
// hash only because of that.)
#include "rescue/copy/copy_error.hpp"
#include "rescue/copy/copy_item.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "unit/copy/copy_fixture.hpp"
#include "unit/copy/fault_source.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace kvmr;
using namespace kvmr::test;

namespace {

// Waits up to LIMIT for the first MiB of PATH to leave the page cache
// (verification writes each chunk back and drops it just before reading
// it back); true when it did.
bool dropped_within(const std::string &path, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (!cached(path, MiB)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

} // namespace

TEST_CASE("copy_item: verification reads chunk 0 back while the copy is still reading" *
          doctest::test_suite("host")) {
  // The source's last chunk is read only once chunk 0 of the target has
  // been dropped from the page cache for its read-back (or a time-out).
  // Trailing, that happens during the copy; one pass after the other, it
  // cannot.
  TempDir dir;
  // tmpfs keeps dropped pages: the sign this test watches for never comes.
  KVMR_SKIP_UNLESS(!on_tmpfs(dir.path().string()),
                   dir.path().string() + " is on tmpfs; set TMPDIR to a disk filesystem");
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 8 * MiB, {{0, 8 * MiB}});
  io::FileByteSource file(src_path);
  for (const bool overlap : {true, false}) {
    CAPTURE(overlap);
    const auto dst = dir / (overlap ? "trailing.img" : "after.img");
    FaultySource src(file);
    std::atomic<int> asked{0};
    bool dropped = false;
    src.before_read([&](std::uint64_t offset) {
      if (offset == 7 * MiB && asked++ == 0) {
        dropped = dropped_within(copy::partial_path(dst),
                                 std::chrono::milliseconds(overlap ? 20000 : 300));
      }
    });
    auto opt = test_options();
    opt.overlap_verify = overlap;
    // The sign watched for is a chunk leaving the page cache: written the
    // ordinary way, as direct writes never put it there.
    opt.direct_write = false;
    const auto r = copy::copy_item(src, dst, opt, nullptr);
    CHECK(asked.load() == 1);
    CHECK(dropped == overlap);
    CHECK(r.hash == xxh128_of(src_path));
    CHECK(same_content(src_path, dst));
  }
}

TEST_CASE("copy_item: trailing verification gives what one pass after the other gives") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  // Holes at the start, between data and at the end; data across chunk
  // boundaries; allocated zeros inside data.
  make_sparse(src_path, 40 * MiB + 4096,
              {{3 * MiB + 512, 2 * MiB}, {9 * MiB, 8192}, {17 * MiB - 4096, 6 * MiB}});
  write_zeros(src_path, 20 * MiB, MiB);
  io::FileByteSource src(src_path);
  std::vector<copy::CopyResult> results;
  for (const bool overlap : {true, false}) {
    CAPTURE(overlap);
    const auto dst = dir / (overlap ? "trailing.img" : "after.img");
    auto opt = test_options();
    opt.overlap_verify = overlap;
    results.push_back(copy::copy_item(src, dst, opt, nullptr));
    CHECK(same_content(src_path, dst));
    CHECK(results.back().hash == xxh128_of(src_path));
  }
  CHECK(results[0].hash == results[1].hash);
  CHECK(results[0].bytes_read == results[1].bytes_read);
  CHECK(results[0].bytes_written == results[1].bytes_written);
  CHECK(allocated_bytes(dir / "trailing.img") == allocated_bytes(dir / "after.img"));
}

TEST_CASE("copy_item: a finished chunk punched out before the rerun fails trailing verification") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 16 * MiB, {{0, 16 * MiB}});
  io::FileByteSource src(src_path);
  const auto dst = dir / "dst.img";
  std::atomic<bool> cancel{false};
  RecordingSink half;
  half.hook = [&](const copy::CopyProgress &p) {
    if (p.phase == copy::CopyPhase::copying && p.done >= 8 * MiB) {
      cancel = true;
    }
  };
  auto opt = test_options();
  opt.cancel = &cancel;
  CHECK_THROWS_AS(copy::copy_item(src, dst, opt, &half), copy::Cancelled);
  opt.cancel = nullptr;
  // Chunk 2 was finished: a hole now, where the source has data. The rerun
  // copies only what was left and finds the hole while it does.
  const int fd = ::open(copy::partial_path(dst).c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const bool punched =
      ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * MiB, MiB) == 0;
  ::close(fd);
  REQUIRE(punched);
  REQUIRE(opt.overlap_verify);
  try {
    copy::copy_item(src, dst, opt, nullptr);
    FAIL("verification passed over a hole where the source had data");
  } catch (const copy::VerifyMismatch &e) {
    CHECK(e.first_offset() == 2 * MiB);
  }
  CHECK_FALSE(exists(dst));
  const auto r = copy::copy_item(src, dst, opt, nullptr); // copies chunk 2 again
  CHECK(r.resumed);
  CHECK(same_content(src_path, dst));
  CHECK(r.hash == xxh128_of(src_path));
}
