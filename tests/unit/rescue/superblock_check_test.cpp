// XFS v5 and ext4 superblock checksums on filesystems made by the real
// mkfs tools, and on damaged copies.
#include "rescue/disk/superblock_check.hpp"
#include "rescue/util/fd.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

using namespace kvmr;       // NOLINT(google-build-using-namespace)
using namespace kvmr::disk; // NOLINT(google-build-using-namespace)

namespace {

std::vector<std::byte> read_file(const std::string &path, std::uint64_t off, std::size_t len) {
  auto fd = open_read_only(path);
  return read_bytes(fd.get(), path, off, len);
}

} // namespace

TEST_CASE("XFS v5 superblock CRC: made by mkfs.xfs, then damaged" * doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(test::have("mkfs.xfs"),
                   "mkfs.xfs not installed (scripts/setup installs xfsprogs)");
  test::TempDir t;
  test::sh("truncate -s 320M " + (t / "x.img") + " && mkfs.xfs -q " + (t / "x.img"));
  auto sb = read_file(t / "x.img", 0, 32768);
  const auto good = check_xfs_superblock(sb);
  CHECK(good.verdict == ChecksumVerdict::ok);

  SUBCASE("a flipped byte in the label area") {
    sb[108] ^= std::byte{0x41};
    const auto bad = check_xfs_superblock(sb);
    CHECK(bad.verdict == ChecksumVerdict::bad);
    CHECK(bad.detail.find("mismatch") != std::string::npos);
  }
  SUBCASE("a flipped byte in the stored CRC") {
    sb[224] ^= std::byte{0x01};
    CHECK(check_xfs_superblock(sb).verdict == ChecksumVerdict::bad);
  }
  SUBCASE("no magic") {
    sb[0] = std::byte{0};
    CHECK(check_xfs_superblock(sb).verdict == ChecksumVerdict::bad);
  }
  SUBCASE("an impossible sector size") {
    sb[102] = std::byte{0x00};
    sb[103] = std::byte{0x03};
    CHECK(check_xfs_superblock(sb).verdict == ChecksumVerdict::bad);
  }
}

TEST_CASE("XFS v4 has no checksum" * doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(test::have("mkfs.xfs"),
                   "mkfs.xfs not installed (scripts/setup installs xfsprogs)");
  test::TempDir t;
  test::sh("truncate -s 320M " + (t / "x.img") + " && mkfs.xfs -q -m crc=0 " + (t / "x.img"));
  CHECK(check_xfs_superblock(read_file(t / "x.img", 0, 4096)).verdict == ChecksumVerdict::none);
}

TEST_CASE("ext4 metadata_csum superblock, and ext2 without it" * doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(test::have("mkfs.ext4"),
                   "mkfs.ext4 not installed (scripts/setup installs e2fsprogs)");
  test::TempDir t;
  test::sh("truncate -s 64M " + (t / "e.img") + " && mkfs.ext4 -q -O metadata_csum " +
           (t / "e.img"));
  auto sb = read_file(t / "e.img", 1024, 1024);
  CHECK(check_ext_superblock(sb).verdict == ChecksumVerdict::ok);
  sb[0x78] ^= std::byte{0x20}; // volume name
  CHECK(check_ext_superblock(sb).verdict == ChecksumVerdict::bad);

  test::sh("truncate -s 16M " + (t / "e2.img") + " && mkfs.ext2 -q " + (t / "e2.img"));
  CHECK(check_ext_superblock(read_file(t / "e2.img", 1024, 1024)).verdict == ChecksumVerdict::none);
}
