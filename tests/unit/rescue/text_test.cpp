// The CLI's text helpers: sizes, columns and wrapping to 80.
#include "rescue/text/text.hpp"

#include <doctest/doctest.h>

using namespace kvmr::text; // NOLINT(google-build-using-namespace)

TEST_CASE("human sizes") {
  CHECK(human_size(0) == "0 B");
  CHECK(human_size(1023) == "1023 B");
  CHECK(human_size(1024) == "1.0 KiB");
  CHECK(human_size(200ULL << 20U) == "200 MiB");
  CHECK(human_size(2411724800ULL) == "2.2 GiB");
}

TEST_CASE("columns count wide characters twice") {
  CHECK(columns("abc") == 3);
  CHECK(columns("ウェブ") == 6);
}

TEST_CASE("wrap keeps every line within the width") {
  const std::string text =
      "Will not boot in BIOS mode. MBR boot code: the first 440 bytes of sector "
      "0 are all zero: there is no boot loader for the BIOS to start. "
      "ウェブマーケットのサーバーがダウンしました " +
      std::string(100, 'x');
  const auto lines = wrap(text, "  BIOS: ", "    ", 80);
  REQUIRE(lines.size() > 2);
  for (const auto &l : lines) {
    CHECK(columns(l) <= 80);
  }
  CHECK(lines[0].rfind("  BIOS: Will", 0) == 0);
  CHECK(lines[1].rfind("    ", 0) == 0);
}

TEST_CASE("wrap of empty text gives the prefix alone") {
  const auto lines = wrap("", "x: ", "   ");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "x: ");
}
