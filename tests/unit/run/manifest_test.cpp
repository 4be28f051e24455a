// The manifest: JSON round trip, field errors, atomic save and load.
#include "rescue/run/manifest.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/run/run_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace kvmr;
using namespace kvmr::test;

TEST_CASE("manifest: one pending entry per plan item, in plan order") {
  const auto p = sample_plan();
  const run::Manifest m = run::manifest_for(p, "sha256");
  REQUIRE(m.items.size() == p.items.size());
  CHECK(m.plan_created == p.created);
  CHECK(m.hash_kind == "sha256");
  for (std::size_t n = 0; n < p.items.size(); ++n) {
    CHECK(m.items[n].status == run::ItemStatus::pending);
    CHECK(m.items[n].dest == p.items[n].dest);
    CHECK(m.items[n].secret == p.items[n].secret);
  }
}

TEST_CASE("manifest: JSON round trip keeps every field") {
  const auto p = sample_plan();
  run::Manifest m = copied_manifest(p);
  m.items[3].status = run::ItemStatus::copied_with_bad_sectors;
  m.items[3].bad_ranges = {{4096, 512}, {1U << 20U, 65536}};
  m.items[3].map_path = "kvm-rescue/state/lv/centos-db01.img.map";
  m.items[1].backing_rewrite = "base.qcow2";
  m.items[1].image_check = {"ok", ""};
  m.items[4].original_dest = "kvm-rescue/original/etc/libvirt/qemu/db01.xml";
  m.items[4].original_hash = "ff";
  m.items[4].xml_validation = {"failed", "element disk: Relax-NG validity error"};
  m.items[0].resumed = true;
  m.items[2].reused = true;
  m.items[5].status = run::ItemStatus::failed;
  m.items[5].error = "/etc/libvirt/secrets/abc.base64: read: Input/output error";
  m.complete = true;
  const nlohmann::json j = run::to_json(m);
  CHECK(j.at("kind") == "kvm-rescue.manifest");
  CHECK(j.at("items").at(3).at("status") == "copied_with_bad_sectors");
  CHECK(j.at("items").at(3).at("kind") == "lv_image");
  const run::Manifest back = run::manifest_from_json(j);
  CHECK(run::to_json(back) == j);
  CHECK(back.items[3].bad_ranges.size() == 2);
  CHECK(back.items[3].bad_ranges[1].offset == (1U << 20U));
  CHECK(back.items[4].xml_validation.state == "failed");
  CHECK(back.items[5].status == run::ItemStatus::failed);
}

TEST_CASE("manifest: errors name the field") {
  const auto p = sample_plan();
  nlohmann::json j = run::to_json(copied_manifest(p));
  SUBCASE("missing dest") {
    j["items"][2].erase("dest");
    CHECK_THROWS_WITH_AS(run::manifest_from_json(j), doctest::Contains("items[2].dest: missing"),
                         InputError);
  }
  SUBCASE("unknown status") {
    j["items"][0]["status"] = "half";
    CHECK_THROWS_WITH_AS(run::manifest_from_json(j), doctest::Contains("half"), InputError);
  }
  SUBCASE("other schema version") {
    j["schema_version"] = 7;
    CHECK_THROWS_WITH_AS(run::manifest_from_json(j), doctest::Contains("schema_version"),
                         InputError);
  }
  SUBCASE("other kind") {
    j["kind"] = "kvm-rescue.plan";
    CHECK_THROWS_WITH_AS(run::manifest_from_json(j), doctest::Contains("kind"), InputError);
  }
}

TEST_CASE("manifest: saved atomically, loaded back, absent is nullopt") {
  TempDir dir;
  const std::string path = dir / "kvm-rescue/manifest.json";
  CHECK_FALSE(run::load_manifest(path).has_value());
  const auto m = copied_manifest(sample_plan());
  run::save_manifest(m, path);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  const auto back = run::load_manifest(path);
  REQUIRE(back.has_value());
  CHECK(run::to_json(*back) == run::to_json(m));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777U) == 0644U);

  std::ofstream(path) << "{ not json";
  CHECK_THROWS_WITH_AS(run::load_manifest(path), doctest::Contains(path.c_str()), InputError);
}

TEST_CASE("manifest: a secret's hash is not published, its size is") {
  const auto p = sample_plan();
  run::Manifest m = copied_manifest(p);
  std::size_t secrets = 0;
  for (auto &i : m.items) {
    if (i.secret) {
      ++secrets;
      i.hash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
      i.original_hash = "6b3a55e0261b0304143f805a24924d0c1c44524821305f31d9277843b8a10f4e";
    }
  }
  REQUIRE(secrets > 0);
  const nlohmann::json doc = run::to_json(m);
  const std::string text = doc.dump();
  CHECK(text.find("5e884898da28") == std::string::npos);
  CHECK(text.find("6b3a55e0261b") == std::string::npos);
  for (const auto &j : doc.at("items")) {
    if (j.at("secret").get<bool>()) {
      CHECK(j.at("hash") == "");
      CHECK(j.at("size").get<std::uint64_t>() > 0);
    }
  }
}
