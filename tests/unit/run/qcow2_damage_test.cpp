// Damaged ranges of qcow2 items told in qcow2 terms in the run report:
// a real image made by qemu-img/qemu-io stands as the copy on the target,
// its data cluster's place taken from `qemu-img map --output=json`; the
// JSON is checked against docs/schemas/report.schema.json.
#include "rescue/io/file_byte_source.hpp"
#include "rescue/run/qcow2_damage.hpp"
#include "rescue/run/report_json.hpp"
#include "rescue/run/report_text.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/run/run_fixture.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace kvmr;
using namespace kvmr::test;

namespace {

run::RunInfo info(const std::string &root) {
  run::RunInfo i;
  i.target = root;
  i.target_root = root;
  i.plan_path = "/root/plan.json";
  i.backend = "kernel";
  i.started = "2026-11-29T05:10:00Z";
  i.finished = "2026-11-29T05:11:00Z";
  i.seconds = 60;
  return i;
}

std::size_t index_of(const plan::RescuePlan &p, const std::string &dest) {
  for (std::size_t n = 0; n < p.items.size(); ++n) {
    if (p.items[n].dest == dest) {
      return n;
    }
  }
  FAIL("no item " << dest);
  return 0;
}

} // namespace

TEST_CASE("report: bad ranges of a qcow2 copy name the guest offset or the metadata" *
          doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(have("qemu-img") && have("qemu-io"),
                   "qemu-img or qemu-io not installed (scripts/setup installs qemu-utils)");
  TempDir root;
  const std::string img = root / "web01.qcow2";
  make_qcow2(img, "16M", {"0xaa 1M 64k"});
  const auto map = nlohmann::json::parse(capture("qemu-img map --output=json " + img));
  std::uint64_t host = 0;
  for (const auto &e : map) {
    if (e.at("data") == true) {
      REQUIRE(e.at("start") == 1U << 20U);
      host = e.at("offset");
    }
  }
  REQUIRE(host != 0);

  const auto p = sample_plan();
  auto m = copied_manifest(p);
  auto &web = m.items[index_of(p, "web01.qcow2")];
  web.status = run::ItemStatus::copied_with_bad_sectors;
  web.bad_ranges = {{host + 4096, 4096}, {0, 512}};
  auto &base = m.items[index_of(p, "base.qcow2")]; // not on the target
  base.status = run::ItemStatus::copied_with_bad_sectors;
  base.bad_ranges = {{65536, 512}};
  const std::size_t raw = 3; // db01's LV, a raw file
  REQUIRE(m.items[raw].format == "raw");
  m.items[raw].status = run::ItemStatus::copied_with_bad_sectors;
  m.items[raw].bad_ranges = {{1048576, 4096}};

  auto r = run::summarize(p, m, info(root.path().string()));
  REQUIRE(r.damaged.size() == 4);
  for (const auto &d : r.damaged) {
    CHECK(!d.qcow2.has_value()); // summarize reads nothing
  }
  int opened = 0;
  run::map_qcow2_damage(r, root.path().string(), [&opened](const std::string &path) {
    ++opened;
    return std::make_unique<io::FileByteSource>(path);
  });
  CHECK(opened == 2); // each qcow2 copy once; raw items are not read

  const auto find = [&r](const std::string &dest, std::uint64_t offset) {
    for (const auto &d : r.damaged) {
      if (d.dest == dest && d.offset == offset) {
        return d;
      }
    }
    FAIL("no damaged range " << dest << " " << offset);
    return run::DamagedRange{};
  };
  const auto data = find("web01.qcow2", host + 4096);
  REQUIRE(data.qcow2.has_value());
  CHECK(data.qcow2->area == scan::Qcow2Area::data);
  CHECK(data.qcow2->guest_ranges == std::vector<scan::Qcow2Range>{{(1U << 20U) + 4096, 4096}});
  const auto header = find("web01.qcow2", 0);
  REQUIRE(header.qcow2.has_value());
  CHECK(header.qcow2->area == scan::Qcow2Area::header);
  CHECK(header.qcow2->detail.find("metadata (unreadable)") == 0);
  const auto missing = find("base.qcow2", 65536);
  REQUIRE(missing.qcow2.has_value());
  CHECK(missing.qcow2->area == scan::Qcow2Area::unknown);
  CHECK(missing.qcow2->detail.find("not mapped: ") == 0);
  CHECK(missing.qcow2->detail.find("base.qcow2") != std::string::npos);
  CHECK(!find(m.items[raw].dest, 1048576).qcow2.has_value());

  const std::string text = run::render_report(r);
  INFO(text);
  CHECK(text.find("qcow2 data: guest offset 0x101000 (4.0 KiB)") != std::string::npos);
  CHECK(text.find("qcow2 header; metadata (unreadable)") != std::string::npos);

  const auto j = run::to_json(r);
  bool seen = false;
  for (const auto &d : j.at("damaged")) {
    if (d.at("dest") == "web01.qcow2" && d.at("offset") == host + 4096) {
      seen = true;
      CHECK(d.at("format") == "qcow2");
      CHECK(d.at("qcow2").at("area") == "data");
      CHECK(d.at("qcow2").at("guest_ranges") == nlohmann::json::parse("[[1052672, 4096]]"));
    }
    if (d.at("format") == "raw") {
      CHECK(!d.contains("qcow2"));
    }
  }
  CHECK(seen);

  KVMR_SKIP_UNLESS(std::system("python3 -c 'import jsonschema' 2>/dev/null") == 0,
                   "python3-jsonschema not installed: report.json not checked against its schema");
  const std::string doc = root / "report.json";
  std::ofstream(doc) << j.dump(2);
  sh("python3 -c 'import json, sys, jsonschema; "
     "jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' " +
     doc + " " KVMR_SOURCE_DIR "/docs/schemas/report.schema.json");
}
