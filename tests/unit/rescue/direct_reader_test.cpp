// Direct reads (io::DirectReader through FileByteSource::read_direct):
// the same bytes as buffered reads at unaligned offsets and lengths, the
// unaligned tail of a file whose size is no multiple of the sector size,
// reads larger than the bounce buffer, and the buffered fallback where the
// kernel refuses direct I/O (EINVAL) or where the filesystem has none of
// its own (tmpfs).
#include "rescue/io/direct_reader.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace kvmr;     // NOLINT(google-build-using-namespace)
using namespace kvmr::io; // NOLINT(google-build-using-namespace)

namespace {

constexpr std::uint64_t kMiB = 1ULL << 20U;

// A file of SIZE pseudo-random bytes at PATH; returns them.
std::vector<std::byte> make_random_file(const std::string &path, std::size_t size) {
  std::vector<std::byte> bytes(size);
  std::mt19937 gen(12345);
  for (auto &b : bytes) {
    b = static_cast<std::byte>(gen() & 0xffU);
  }
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  REQUIRE(fd.valid());
  REQUIRE(::write(fd.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  return bytes;
}

// read_direct of [OFFSET, OFFSET+LEN) equals the file's bytes (clipped to
// its end), into a buffer at MISALIGN bytes past an aligned address.
void check_read(FileByteSource &src, const std::vector<std::byte> &bytes, std::uint64_t offset,
                std::size_t len, std::size_t misalign = 0) {
  INFO("offset " << offset << " length " << len << " misalign " << misalign);
  std::vector<std::byte> storage(len + 8192);
  auto base = reinterpret_cast<std::uintptr_t>(storage.data());
  const std::size_t skip = (4096 - base % 4096) % 4096 + misalign;
  const std::span<std::byte> out(storage.data() + skip, len);
  const std::size_t n = src.read_direct(offset, out);
  const std::size_t want =
      offset >= bytes.size() ? 0 : std::min<std::size_t>(len, bytes.size() - offset);
  REQUIRE(n == want);
  CHECK(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n),
                   bytes.begin() +
                       static_cast<std::ptrdiff_t>(std::min<std::size_t>(offset, bytes.size()))));
}

} // namespace

TEST_CASE("read_direct: unaligned offsets, lengths, buffers and the tail of the file") {
  test::TempDir t;
  const std::string path = t / "data.img";
  // 3 MiB + 1000 bytes: the last sector is partial.
  const std::size_t size = 3 * kMiB + 1000;
  const auto bytes = make_random_file(path, size);
  FileByteSource src(path);

  check_read(src, bytes, 0, 4096);                // aligned: straight into the buffer
  check_read(src, bytes, 512, 64 * 1024);         // sector-aligned
  check_read(src, bytes, 100, 333, 7);            // inside one sector, odd buffer
  check_read(src, bytes, kMiB - 10, 2 * kMiB, 1); // across the bounce buffer's size
  check_read(src, bytes, 0, size);                // everything, aligned start
  check_read(src, bytes, size - 700, 700);        // the partial last sector and before
  check_read(src, bytes, size - 1000, 1000);      // exactly the partial sector
  check_read(src, bytes, size - 300, 4096);       // past the end: short
  check_read(src, bytes, 3 * kMiB, 8192);         // aligned start of the tail
  check_read(src, bytes, size, 512);              // at the end: nothing
}

TEST_CASE("DirectReader: direct on a filesystem that has it, at its alignment") {
  test::TempDir t;
  const std::string path = t / "data.img";
  const auto bytes = make_random_file(path, 100000);
  const UniqueFd fd = open_read_only(path);
  DirectReader r(path);
  std::vector<std::byte> buf(777);
  REQUIRE(r.read(fd.get(), 1234, buf) == buf.size());
  CHECK(std::equal(buf.begin(), buf.end(), bytes.begin() + 1234));
  const std::string fs = std::filesystem::canonical(path).string();
  INFO("file " << fs << " alignment " << r.alignment());
  CHECK(r.direct());
  CHECK(r.alignment() >= 512);
  CHECK(r.alignment() <= 4096);
  CHECK((r.alignment() & (r.alignment() - 1)) == 0);
}

TEST_CASE("DirectReader: EINVAL from a direct read falls back to buffered reads") {
  test::TempDir t;
  const std::string path = t / "data.img";
  const auto bytes = make_random_file(path, 100000);
  const UniqueFd fd = open_read_only(path);
  // An alignment of 1 byte: the kernel refuses the misaligned direct read.
  DirectReader r(path, 1);
  std::vector<std::byte> buf(1001);
  REQUIRE(r.read(fd.get(), 3, std::span(buf).subspan(1)) == 1000);
  CHECK(std::equal(buf.begin() + 1, buf.end(), bytes.begin() + 3));
  CHECK_FALSE(r.direct()); // remembered: the next read is buffered at once
  REQUIRE(r.read(fd.get(), 99000, buf) == 1000);
  CHECK(std::equal(buf.begin(), buf.begin() + 1000, bytes.begin() + 99000));
}

TEST_CASE("read_direct on tmpfs gives the file's bytes, direct or not" *
          doctest::test_suite("host")) {
  KVMR_SKIP_UNLESS(std::filesystem::is_directory("/dev/shm"), "no /dev/shm (tmpfs) here");
  std::string tmpl = "/dev/shm/kvmr-direct-XXXXXX";
  const int raw = ::mkstemp(tmpl.data());
  REQUIRE(raw >= 0);
  ::close(raw);
  struct Remove {
    std::string p;
    ~Remove() { ::unlink(p.c_str()); }
  } remove{tmpl};
  const auto bytes = make_random_file(tmpl, 20000 + 17);
  FileByteSource src(tmpl);
  check_read(src, bytes, 0, 20017);
  check_read(src, bytes, 5, 20000, 3);
  check_read(src, bytes, 19999, 100);
}

TEST_CASE("DirectReader: a file that is gone is an error naming it, not a fallback") {
  test::TempDir t;
  const std::string path = t / "data.img";
  make_random_file(path, 4096);
  const UniqueFd fd = open_read_only(path);
  DirectReader r(path);
  std::filesystem::remove(path);
  std::vector<std::byte> buf(512);
  CHECK_THROWS_AS(r.read(fd.get(), 0, buf), SysError);
}
