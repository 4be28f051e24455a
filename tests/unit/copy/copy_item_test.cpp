// copy_item on healthy sources: exact content, holes kept, hashes equal
// to xxh128sum/sha256sum of the source, metadata, side files cleaned up,
// and a source that shrinks mid-copy.
#include "rescue/copy/copy_error.hpp"
#include "rescue/copy/copy_item.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "unit/copy/copy_fixture.hpp"
#include "unit/copy/fault_source.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <mutex>
#include <string>

using namespace kvmr;
using namespace kvmr::test;

namespace {

const std::vector<DataRange> kLayout = {
    {0, 3 * MiB + 1000},           // data from the start, ending mid-chunk
    {10 * MiB + 4096, 512 * 1024}, // an island inside a hole
    {40 * MiB - 8192, 2 * MiB},    // across a chunk boundary
    {63 * MiB, MiB - 123},         // up to near the unaligned end
};
constexpr std::uint64_t kSize = 64 * MiB - 100;

} // namespace

TEST_CASE("copy_item: a sparse file is copied exactly, holes stay holes") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  const auto dst = dir / "dst.img";
  make_sparse(src_path, kSize, kLayout);
  write_zeros(src_path, 20 * MiB, 2 * MiB); // allocated zeros: need not be allocated on the copy

  io::FileByteSource src(src_path);
  RecordingSink sink;
  const auto r = copy::copy_item(src, dst, test_options(), &sink);

  CHECK(same_content(src_path, dst));
  CHECK(r.size == kSize);
  CHECK(r.hash == xxh128_of(src_path));
  CHECK(r.hash == xxh128_of(dst));
  CHECK(r.bad_ranges.empty());
  CHECK_FALSE(r.resumed);
  CHECK(r.bytes_read == r.data_bytes);
  const auto src_alloc = allocated_bytes(src_path);
  const auto dst_alloc = allocated_bytes(dst);
  CHECK(dst_alloc <= src_alloc + MiB);
  CHECK(dst_alloc + MiB >= src_alloc - 2 * MiB); // the 2 MiB of zeros are not copied
  CHECK(dst_alloc == r.allocated_bytes);
  // No side files are left behind.
  CHECK_FALSE(exists(copy::partial_path(dst)));
  CHECK_FALSE(exists(dst + ".map"));
  CHECK_FALSE(exists(dst + ".partial.state"));

  const auto seen = sink.seen();
  REQUIRE_FALSE(seen.empty());
  bool saw_verify = false;
  for (const auto &p : seen) {
    CHECK(p.done <= p.total);
    saw_verify = saw_verify || p.phase == copy::CopyPhase::verifying;
  }
  CHECK(saw_verify);
}

TEST_CASE("copy_item: the SHA-256 option equals sha256sum of the source") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, kSize, kLayout);
  io::FileByteSource src(src_path);
  auto opt = test_options();
  opt.hash = copy::HashKind::sha256;
  const auto r = copy::copy_item(src, dir / "dst.img", opt, nullptr);
  CHECK(r.hash_kind == copy::HashKind::sha256);
  CHECK(r.hash == sha256_of(src_path));
}

TEST_CASE("copy_item: empty and all-hole sources") {
  TempDir dir;
  for (const std::uint64_t size : {std::uint64_t{0}, std::uint64_t{5 * MiB + 7}}) {
    CAPTURE(size);
    const auto src_path = dir / "hole.img";
    make_sparse(src_path, size, {});
    io::FileByteSource src(src_path);
    const auto r = copy::copy_item(src, dir / "out.img", test_options(), nullptr);
    CHECK(same_content(src_path, dir / "out.img"));
    CHECK(allocated_bytes(dir / "out.img") == 0);
    CHECK(r.hash == xxh128_of(src_path));
  }
}

TEST_CASE("copy_item: mode, owner, times and xattrs are preserved") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 3 * MiB, {{0, MiB}});
  sh("chmod 0640 '" + src_path + "' && chown 1234:5678 '" + src_path +
     "' && touch -m -d '2019-03-04 05:06:07.123456789' '" + src_path +
     "' && touch -a -d '2020-01-02 03:04:05' '" + src_path + "'");
  const std::string value = "rescued";
  REQUIRE(::setxattr(src_path.c_str(), "user.kvmr", value.data(), value.size(), 0) == 0);
  struct stat before {};
  REQUIRE(::stat(src_path.c_str(), &before) == 0);

  io::FileByteSource src(src_path);
  auto opt = test_options();
  opt.metadata_from = src_path;
  const auto r = copy::copy_item(src, dir / "dst.img", opt, nullptr);
  CHECK(r.xattrs_not_copied.empty());

  struct stat st {};
  REQUIRE(::stat((dir / "dst.img").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_uid == 1234);
  CHECK(st.st_gid == 5678);
  CHECK(st.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(st.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  CHECK(st.st_atim.tv_sec == before.st_atim.tv_sec);
  std::string got(64, '\0');
  const ssize_t n = ::getxattr((dir / "dst.img").c_str(), "user.kvmr", got.data(), got.size());
  REQUIRE(n >= 0);
  got.resize(static_cast<std::size_t>(n));
  CHECK(got == value);
}

TEST_CASE("copy_item: without a metadata source the target is mode 0600") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, MiB, {{0, 4096}});
  io::FileByteSource src(src_path);
  copy::copy_item(src, dir / "dst.img", test_options(), nullptr);
  struct stat st {};
  REQUIRE(::stat((dir / "dst.img").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
}

TEST_CASE("copy_item: an existing target is replaced only at the end") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 2 * MiB, {{0, 2 * MiB}});
  sh("echo old > '" + (dir / "dst.img") + "'");
  io::FileByteSource src(src_path);
  copy::copy_item(src, dir / "dst.img", test_options(), nullptr);
  CHECK(same_content(src_path, dir / "dst.img"));
}

TEST_CASE("copy_item: holes before, between and after the data hash as zeros, in order") {
  // Hole chunks skip the threads (copy and verification); their zeros must
  // still enter the whole-content hash at their place, the trailing ones too.
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 24 * MiB + 512, {{3 * MiB, MiB}, {9 * MiB + 4096, 8192}});
  io::FileByteSource src(src_path);
  const auto r = copy::copy_item(src, dir / "dst.img", test_options(), nullptr);
  CHECK(r.hash == xxh128_of(src_path));
  CHECK(same_content(src_path, dir / "dst.img"));
  CHECK(r.bytes_read == MiB + 8192);
}

TEST_CASE("copy_item: a chunk of the target that turned into a hole fails verification") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 8 * MiB, {{0, 8 * MiB}});
  io::FileByteSource src(src_path);
  const auto dst = dir / "dst.img";
  RecordingSink sink;
  bool punched = false;
  sink.hook = [&](const copy::CopyProgress &p) {
    if (p.phase == copy::CopyPhase::verifying && !punched) {
      const int fd = ::open(copy::partial_path(dst).c_str(), O_WRONLY | O_CLOEXEC);
      punched =
          fd >= 0 && ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * MiB, MiB) == 0;
      if (fd >= 0) {
        ::close(fd);
      }
    }
  };
  // The hole is made when verification starts: not trailing the copy,
  // which may have verified chunk 2 by then (overlap_verify_test covers
  // the trailing case).
  auto opt = test_options();
  opt.overlap_verify = false;
  try {
    copy::copy_item(src, dst, opt, &sink);
    FAIL("verification passed over a hole where the source had data");
  } catch (const copy::VerifyMismatch &e) {
    CHECK(e.first_offset() == 2 * MiB);
  }
  CHECK(punched);
  CHECK_FALSE(exists(dst));
  const auto r = copy::copy_item(src, dst, test_options(), nullptr); // copies chunk 2 again
  CHECK(r.resumed);
  CHECK(same_content(src_path, dst));
}

TEST_CASE("copy_item: a source that shrinks mid-copy is a clear error") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 16 * MiB, {{0, 16 * MiB}});
  io::FileByteSource file(src_path);
  FaultySource src(file);
  src.shrink(4 * MiB, 6 * MiB + 100);
  const auto dst = dir / "dst.img";
  try {
    copy::copy_item(src, dst, test_options(), nullptr);
    FAIL("no error");
  } catch (const copy::SourceChanged &e) {
    const std::string what = e.what();
    CHECK(what.find("shrank") != std::string::npos);
    CHECK(what.find(src.describe()) != std::string::npos);
  }
  CHECK_FALSE(exists(dst));
  CHECK(exists(copy::partial_path(dst)));
}

TEST_CASE("copy_item: bad options are refused") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, MiB, {});
  io::FileByteSource src(src_path);
  auto opt = test_options();
  opt.chunk_size = 1000;
  CHECK_THROWS_AS(copy::copy_item(src, dir / "x", opt, nullptr), InputError);
  CHECK_FALSE(exists(dir / "x.partial"));
}

TEST_CASE("copy_item: progress uses the injected clock: rate and ETA") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 8 * MiB, {{0, 8 * MiB}});
  io::FileByteSource src(src_path);
  auto opt = test_options();
  // Every look at the clock is 100 ms later.
  auto t = copy::Clock::time_point{};
  std::mutex m;
  opt.clock = [&] {
    std::lock_guard lock(m);
    t += std::chrono::milliseconds(100);
    return t;
  };
  opt.save_interval = std::chrono::hours(1);
  RecordingSink sink;
  const auto r = copy::copy_item(src, dir / "dst.img", opt, &sink);
  bool saw_rate = false;
  for (const auto &p : sink.seen()) {
    if (p.phase == copy::CopyPhase::copying && p.rate > 0) {
      saw_rate = true;
      CHECK(p.rate < 8.0 * MiB / 0.1); // never faster than 8 MiB in one tick
      if (p.done < p.total) {
        REQUIRE(p.eta_seconds.has_value());
        CHECK(*p.eta_seconds == doctest::Approx(static_cast<double>(p.total - p.done) / p.rate));
      }
    }
  }
  CHECK(saw_rate);
  CHECK(r.copy_seconds > 0);
  CHECK_FALSE(exists(dir / "dst.img.map")); // no save within the hour
}
