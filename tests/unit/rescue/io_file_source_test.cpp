// FileByteSource on a sparse image file: size, positional reads that are
// short only at the end, data and holes from SEEK_DATA/SEEK_HOLE, errors
// that name the file; and the extent helpers of the interface.
#include "rescue/io/file_byte_source.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/lvm_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace kvmr;     // NOLINT(google-build-using-namespace)
using namespace kvmr::io; // NOLINT(google-build-using-namespace)

namespace {

constexpr std::uint64_t kMiB = 1ULL << 20U;

std::string text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char *>(b.data()), b.size()};
}

} // namespace

TEST_CASE("a sparse file: size, reads short only at the end, data and holes") {
  test::TempDir t;
  const std::string img = t / "sparse.img";
  test::sh("truncate -s " + std::to_string(4 * kMiB + 100) + " " + img);
  test::poke(img, kMiB, std::string(kMiB, 'a'));
  test::poke(img, 4 * kMiB, std::string(100, 'z'));

  FileByteSource src(img);
  CHECK(src.size() == 4 * kMiB + 100);
  CHECK(src.describe() == img);
  CHECK_FALSE(src.is_block_device());

  std::vector<std::byte> buf(300);
  CHECK(src.read_at(kMiB - 100, buf) == 300);
  CHECK(text(buf) == std::string(100, '\0') + std::string(200, 'a'));
  CHECK(src.read_at(4 * kMiB - 50, buf) == 150); // short: the file ends
  CHECK(text(std::span(buf).first(150)) == std::string(50, '\0') + std::string(100, 'z'));
  CHECK(src.read_at(src.size(), buf) == 0);
  CHECK(src.read_at(src.size() + 12345, buf) == 0);

  const auto ext = src.extents(0, UINT64_MAX);
  INFO("extents: " << ext.size());
  REQUIRE(ext.size() >= 3);
  CHECK(ext.front().offset == 0);
  CHECK(ext.back().offset + ext.back().length == src.size());
  for (std::size_t i = 1; i < ext.size(); ++i) {
    CHECK(ext[i].offset == ext[i - 1].offset + ext[i - 1].length);
    CHECK(ext[i].kind != ext[i - 1].kind);
  }
  // The filesystem allocates in blocks: the written MiB is inside data,
  // the first 512 KiB are a hole.
  CHECK(ext.front().kind == ExtentKind::hole);
  CHECK(ext.front().length >= kMiB / 2);
  const auto mid = src.extents(kMiB + 10, 20);
  REQUIRE(mid.size() == 1);
  CHECK(mid[0] == Extent{kMiB + 10, 20, ExtentKind::data});
  const auto hole = src.extents(2 * kMiB, kMiB);
  REQUIRE(hole.size() == 1);
  CHECK(hole[0] == Extent{2 * kMiB, kMiB, ExtentKind::hole});
  CHECK(src.extents(src.size(), 10).empty());
}

TEST_CASE("a file that is not there, or not a file, is named in the error") {
  test::TempDir t;
  try {
    FileByteSource src(t / "missing.img");
    FAIL("opened a missing file");
  } catch (const SysError &e) {
    CHECK(e.path() == t / "missing.img");
    CHECK(e.error_code() == ENOENT);
  }
  // A directory opens read-only, but is neither a file nor a device.
  CHECK_THROWS_AS(FileByteSource(t.path().string()), InputError);
}

TEST_CASE("extent helpers: merging, clipping, and the all-data default") {
  std::vector<Extent> v;
  append_extent(v, {0, 10, ExtentKind::data});
  append_extent(v, {10, 5, ExtentKind::data});
  append_extent(v, {15, 0, ExtentKind::hole});
  append_extent(v, {15, 5, ExtentKind::hole});
  append_extent(v, {20, 5, ExtentKind::unreadable});
  REQUIRE(v.size() == 3);
  CHECK(v[0] == Extent{0, 15, ExtentKind::data});
  CHECK(v[1] == Extent{15, 5, ExtentKind::hole});
  CHECK(v[2] == Extent{20, 5, ExtentKind::unreadable});
  CHECK(clipped_end(100, 10, UINT64_MAX) == 100);
  CHECK(clipped_end(100, 10, 20) == 30);
  CHECK(clipped_end(100, 200, 20) == 200);

  struct Fixed final : ByteSource {
    [[nodiscard]] std::uint64_t size() const override { return 50; }
    [[nodiscard]] std::string describe() const override { return "fixed"; }
    std::size_t read_at(std::uint64_t, std::span<std::byte>) override { return 0; }
  } f;
  const auto all = f.extents(40, 100);
  REQUIRE(all.size() == 1);
  CHECK(all[0] == Extent{40, 10, ExtentKind::data});
  CHECK(f.extents(50, 1).empty());
}
