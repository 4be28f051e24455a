// The wizard's terminal requirements.
#include "tui/terminal.hpp"

#include <doctest/doctest.h>

using namespace kvmr::tui; // NOLINT(google-build-using-namespace)

TEST_CASE("80x24 is the minimum") {
  CHECK_FALSE(size_problem(24, 80).has_value());
  CHECK_FALSE(size_problem(43, 132).has_value());
  REQUIRE(size_problem(23, 80).has_value());
  CHECK(size_problem(23, 80)->find("80x23") != std::string::npos);
  CHECK(size_problem(24, 79).has_value());
}

TEST_CASE("a serial console's 0x0 asks for stty") {
  REQUIRE(size_problem(0, 0).has_value());
  CHECK(size_problem(0, 0)->find("stty") != std::string::npos);
}

TEST_CASE("monochrome without colours or with NO_COLOR") {
  CHECK(choose_palette(true, nullptr) == Palette::colour);
  CHECK(choose_palette(true, "") == Palette::colour);
  CHECK(choose_palette(true, "1") == Palette::monochrome);
  CHECK(choose_palette(false, nullptr) == Palette::monochrome);
}
