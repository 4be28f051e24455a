// Direct writes of the target (PartialFile, CopyOptions::direct_write):
// what goes direct never enters the page cache (mincore), what cannot go
// direct is written the ordinary way, and a copy gives the same bytes,
// hash and allocation either way.
#include "rescue/copy/copy_item.hpp"
#include "rescue/copy/partial_file.hpp"
#include "rescue/io/aligned_buffer.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "unit/copy/copy_fixture.hpp"
#include "unit/copy/fault_source.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

using namespace kvmr;
using namespace kvmr::test;

namespace {

// SIZE random bytes whose first byte is 4096-aligned in memory, with
// slack after them for a shifted view.
class AlignedBytes {
public:
  explicit AlignedBytes(std::size_t size)
      : store_(size + 4 * KiB), bytes_(store_.span().first(size)) {
    std::mt19937 gen(7);
    std::ranges::generate(bytes_, [&] { return static_cast<std::byte>(gen() | 1U); });
  }
  [[nodiscard]] std::span<const std::byte> bytes() const { return bytes_; }
  // The same length starting OFFSET bytes later (1: aligned for no
  // device's direct I/O).
  [[nodiscard]] std::span<const std::byte> shifted(std::size_t offset) const {
    return {bytes_.data() + offset, bytes_.size()};
  }

private:
  io::AlignedBuffer store_;
  std::span<std::byte> bytes_;
};

// Writes DATA at 0 of a new PATH through PartialFile and syncs it.
void write_file(const std::string &path, std::span<const std::byte> data, bool direct) {
  copy::PartialFile part(path, true, direct);
  part.set_size(data.size());
  part.write_all(0, data);
  part.sync();
  part.close();
}

bool has_bytes(const std::string &path, std::span<const std::byte> data) {
  const auto got = read_range(path, 0, data.size());
  return std::ranges::equal(got, data);
}

// Whether the kernel takes an aligned O_DIRECT write into a new file at
// PATH: asked directly, not of PartialFile (the code under test). Fails
// the test on any answer but "yes" or EINVAL ("not on this filesystem").
bool kernel_writes_direct(const std::string &path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_DIRECT, 0600);
  if (fd < 0) {
    REQUIRE(errno == EINVAL);
    return false;
  }
  const std::unique_ptr<void, decltype(&std::free)> block(std::aligned_alloc(4096, 4096),
                                                          &std::free);
  REQUIRE(block != nullptr);
  std::memset(block.get(), 0x5a, 4096);
  const ssize_t n = ::pwrite(fd, block.get(), 4096, 0);
  const int err = errno;
  ::close(fd);
  ::unlink(path.c_str());
  if (n < 0) {
    REQUIRE(err == EINVAL);
    return false;
  }
  REQUIRE(n == 4096);
  return true;
}

// Whether files in DIR can be written direct (skips the test case and says
// why not otherwise); where they can, PartialFile must write direct.
bool direct_possible(const TempDir &dir) {
  if (on_tmpfs(dir.path().string())) {
    skip(dir.path().string() + " is on tmpfs; set TMPDIR to a disk filesystem");
    return false;
  }
  if (!kernel_writes_direct(dir / "o_direct_probe")) {
    skip("the filesystem of " + dir.path().string() + " refuses O_DIRECT writes");
    return false;
  }
  const copy::PartialFile probe(dir / "probe", true, true);
  CHECK(probe.writes_direct());
  return true;
}

} // namespace

TEST_CASE("PartialFile: aligned writes go direct, past the page cache; the rest does not" *
          doctest::test_suite("host")) {
  TempDir dir;
  if (!direct_possible(dir)) {
    return;
  }
  // 1 MiB and 1000 bytes: the 1 MiB goes direct, the 1000 bytes cannot.
  const AlignedBytes data(MiB + 1000);
  const auto direct = dir / "direct";
  write_file(direct, data.bytes(), true);
  CHECK_FALSE(cached(direct, MiB));
  CHECK(cached(direct, 4096, MiB));       // the end, written the ordinary way
  CHECK(has_bytes(direct, data.bytes())); // (reading caches it: last)

  // The same without direct writes stays in the page cache (the check
  // above can fail).
  const auto buffered = dir / "buffered";
  write_file(buffered, data.bytes(), false);
  CHECK(cached(buffered, MiB));
  CHECK(has_bytes(buffered, data.bytes()));

  // A buffer that is not aligned in memory is written the ordinary way.
  const auto unaligned = dir / "unaligned";
  write_file(unaligned, data.shifted(1), true);
  CHECK(cached(unaligned, MiB));
  CHECK(has_bytes(unaligned, data.shifted(1)));

  // So is a short run (the page cache gathers those).
  const auto small = dir / "small";
  write_file(small, data.bytes().first(64 * KiB), true);
  CHECK(cached(small, 64 * KiB));
  CHECK(has_bytes(small, data.bytes().first(64 * KiB)));
}

TEST_CASE("copy_item: direct writes give what ordinary writes give" * doctest::test_suite("host")) {
  TempDir dir;
  if (!direct_possible(dir)) {
    return;
  }
  const auto src_path = dir / "src.img";
  // Data across chunk boundaries, short runs between holes, allocated
  // zeros inside data, and a size that is no multiple of 4096.
  make_sparse(src_path, 12 * MiB + 1000,
              {{512 * KiB, 2 * MiB},
               {5 * MiB, 8192},
               {5 * MiB + 65536, 4096},
               {7 * MiB - 4096, 3 * MiB},
               {12 * MiB - 300000, 301000}});
  write_zeros(src_path, 8 * MiB, 256 * KiB);
  io::FileByteSource file(src_path);
  std::vector<copy::CopyResult> results;
  for (const bool direct : {true, false}) {
    CAPTURE(direct);
    const auto dst = dir / (direct ? "direct.img" : "buffered.img");
    FaultySource src(file);
    // While the source's last chunk is read, chunk 0 of the target has been
    // written and not yet verified: in the page cache only when written
    // the ordinary way.
    std::atomic<int> asked{0};
    bool chunk0_cached = false;
    src.before_read([&](std::uint64_t offset) {
      if (offset >= 11 * MiB && asked++ == 0) {
        chunk0_cached = cached(copy::partial_path(dst), MiB);
      }
    });
    auto opt = test_options();
    opt.direct_write = direct;
    opt.overlap_verify = false;
    results.push_back(copy::copy_item(src, dst, opt, nullptr));
    CHECK(asked.load() >= 1);
    CHECK(chunk0_cached == !direct);
    CHECK(same_content(src_path, dst));
    CHECK(results.back().hash == xxh128_of(src_path));
  }
  CHECK(results[0].hash == results[1].hash);
  CHECK(results[0].bytes_written == results[1].bytes_written);
  CHECK(allocated_bytes(dir / "direct.img") == allocated_bytes(dir / "buffered.img"));
}
