// Sector 0 parsing: boot code kinds, protective MBR, entries.
#include "rescue/disk/mbr.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

using namespace kvmr::disk; // NOLINT(google-build-using-namespace)

namespace {
std::vector<std::byte> blank_sector() {
  std::vector<std::byte> s(512);
  s[510] = std::byte{0x55};
  s[511] = std::byte{0xAA};
  return s;
}
} // namespace

TEST_CASE("zeroed boot code with a valid signature") {
  auto s = blank_sector();
  const Mbr m = parse_mbr(s);
  CHECK(m.signature);
  CHECK(m.boot_code == BootCode::zeroed);
  CHECK_FALSE(m.protective);
}

TEST_CASE("GRUB 2 boot.img is recognised from the real file" * doctest::test_suite("tools")) {
  std::ifstream in("/usr/lib/grub/i386-pc/boot.img", std::ios::binary);
  KVMR_SKIP_UNLESS(std::filesystem::exists("/usr/lib/grub/i386-pc/boot.img"),
                   "/usr/lib/grub/i386-pc/boot.img missing (grub-pc-bin not installed)");
  REQUIRE(in);
  std::vector<char> img((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(img.size() == 512);
  auto s = blank_sector();
  for (std::size_t i = 0; i < 440; ++i) {
    s[i] = static_cast<std::byte>(img[i]);
  }
  CHECK(parse_mbr(s).boot_code == BootCode::grub2);
  s[0x180] = std::byte{'X'};
  CHECK(parse_mbr(s).boot_code == BootCode::other);
}

TEST_CASE("protective MBR entry and missing signature") {
  auto s = blank_sector();
  s[446 + 4] = std::byte{0xEE};
  s[446 + 8] = std::byte{1};
  const Mbr m = parse_mbr(s);
  CHECK(m.protective);
  CHECK(m.entries[0].type == 0xEE);
  CHECK(m.entries[0].first_lba == 1);
  s[511] = std::byte{0};
  CHECK_FALSE(parse_mbr(s).signature);
}

TEST_CASE("GRUB core detection and short input") {
  std::vector<std::byte> s(512);
  CHECK_FALSE(looks_like_grub_core(s));
  const char *word = "loading";
  for (std::size_t i = 0; i < 7; ++i) {
    s[0x11b + i] = static_cast<std::byte>(word[i]);
  }
  CHECK(looks_like_grub_core(s));
  std::vector<std::byte> short_sector(100);
  CHECK_THROWS(parse_mbr(short_sector));
}
