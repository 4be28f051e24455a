// The ddrescue mapfile: writing, reading back, reading what GNU ddrescue
// itself writes, refusing malformed files.
#include "rescue/copy/mapfile.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

using namespace kvmr;
using namespace kvmr::copy;

TEST_CASE("mapfile: format and parse round trip") {
  Mapfile m;
  m.current_pos = 0x20000;
  m.current_status = '-';
  m.current_pass = 2;
  append_block(m.blocks, {0, 0x10000, MapStatus::finished});
  append_block(m.blocks, {0x10000, 0x10000, MapStatus::finished}); // merged
  append_block(m.blocks, {0x20000, 0x200, MapStatus::bad});
  append_block(m.blocks, {0x20200, 0, MapStatus::non_tried}); // dropped
  append_block(m.blocks, {0x20200, 0x1000, MapStatus::non_tried});
  REQUIRE(m.blocks.size() == 3);
  const auto text = format_mapfile(m, "Mapfile. Created by a test\nsecond line");
  CHECK(text.find("# Mapfile. Created by a test\n# second line\n") == 0);
  CHECK(text.find("0x00020000  0x00000200  -\n") != std::string::npos);
  CHECK(parse_mapfile(text, "t") == m);
  CHECK(bytes_with_status(m, MapStatus::finished) == 0x20000);
}

TEST_CASE("mapfile: malformed files are refused with the line") {
  CHECK_THROWS_AS(parse_mapfile("# only comments\n", "m"), InputError);
  CHECK_THROWS_AS(parse_mapfile("0x0 ?\n0x0 0x10 x\n", "m"), InputError);
  CHECK_THROWS_AS(parse_mapfile("0x0 ?\n0x0 0x10 +\n0x20 0x10 +\n", "m"), InputError); // gap
  try {
    parse_mapfile("0x0 ? 1\n0x0 zz +\n", "the.map");
    FAIL("parsed");
  } catch (const InputError &e) {
    CHECK(std::string(e.what()).find("the.map: line 2") == 0);
  }
}

TEST_CASE("mapfile: reads what GNU ddrescue writes" * doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(test::have("ddrescue"),
                   "ddrescue is not installed (package gddrescue, scripts/setup)");
  test::TempDir dir;
  test::sh("cd '" + dir.path().string() +
           "' && head -c 100000 /dev/urandom > in && ddrescue -q in out map");
  const auto m = load_mapfile(dir / "map");
  REQUIRE(m.has_value());
  CHECK(m->current_status == '+');
  REQUIRE(m->blocks.size() == 1);
  CHECK(m->blocks[0] == MapBlock{0, 100000, MapStatus::finished});
  CHECK_FALSE(load_mapfile(dir / "absent").has_value());
}
