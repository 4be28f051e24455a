// The answer file: exact round trip, every load error naming its field or
// file, atomic save with mode 0600, and the schema in docs/schemas.
#include "rescue/plan/plan_build.hpp"
#include "rescue/plan/plan_json.hpp"
#include "rescue/util/error.hpp"
#include "unit/plan/plan_fixture.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

using namespace kvmr;
using namespace kvmr::test;
using nlohmann::json;

namespace {

// A plan that uses every field: relocated images with a backing rename,
// an LV disk, rewrites, a device target with its identity, NIC map.
plan::RescuePlan full_plan() {
  using scan::ImageFormat;
  scan::HostInventory inv = story_inventory();
  inv.vms.push_back(vm("db01", {lv_disk("vda", "centos/db01", 48 * MiB)}));
  inv.vms.push_back(
      vm("srv01", {file_disk("vda", {member(kImages + "/srv01.qcow2", ImageFormat::qcow2, MiB,
                                            "/srv/base.qcow2", "/srv/base.qcow2"),
                                     member("/srv/base.qcow2", ImageFormat::qcow2, MiB)})}));
  inv.vms.push_back(vm("ghost01", {}, scan::Readiness::not_ready));
  target::TargetInfo t;
  t.kind = target::Kind::device;
  t.path = "/dev/sdc";
  t.capacity = 900 * GiB;
  t.disk = gpt_disk("/dev/sdc", 1024 * GiB, "tbl", {"p1"}, {"u1"}, "SER");
  plan::PlanChoices ch;
  ch.kickstart.nic_map = {{"eth0", "enp1s0"}, {"eth1", "52:54:00:12:34:56"}};
  ch.kickstart.root_password = "hash";
  ch.kickstart.root_password_hash = "$6$x$y";
  ch.kickstart.os_disk = "/dev/disk/by-id/nvme-X";
  inv.profile.accounts.root_hash = "$6$root$ROOTHASH";
  inv.profile.accounts.root_keys = {"ssh-ed25519 AAAAroot root@old"};
  inv.profile.accounts.admins.push_back(
      {"alice", "Alice", "$6$a$ALICEHASH", {"wheel"}, {"ssh-rsa AAAAalice alice@laptop"}});
  inv.profile.accounts.sudoers.push_back({"10-admins", "alice ALL=(ALL) ALL\n"});
  plan::RescuePlan p = plan::build_plan(
      inv, {gpt_disk("/dev/sdb", 10 * GiB, "src", {"a", "b"}, {"c", "d"}, "S1")}, t, ch);
  REQUIRE(!p.rewrites.empty());
  REQUIRE(!p.warnings.empty());
  REQUIRE(p.target.disk);
  return p;
}

std::string load_error(const json &j) {
  try {
    (void)plan::plan_from_json(j);
  } catch (const InputError &e) {
    return e.what();
  }
  FAIL("no error for " << j.dump().substr(0, 200));
  return "";
}

std::string read_file_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

} // namespace

TEST_CASE("to_json and plan_from_json round-trip exactly") {
  const plan::RescuePlan p = full_plan();
  const json j = plan::to_json(p);
  CHECK(j.at("schema_version") == 1);
  CHECK(j.at("kind") == "kvm-rescue.plan");
  const plan::RescuePlan back = plan::plan_from_json(j);
  CHECK(back == p);
  CHECK(plan::to_json(back).dump() == j.dump());
}

TEST_CASE("the kickstart's data_disk round-trips and may be absent (older answer files)") {
  plan::RescuePlan p = full_plan();
  p.kickstart.data_disk = "ata-NEW_DATA_D1";
  json j = plan::to_json(p);
  CHECK(plan::plan_from_json(j).kickstart.data_disk == "ata-NEW_DATA_D1");
  j["kickstart"].erase("data_disk");
  CHECK(plan::plan_from_json(j).kickstart.data_disk.empty());
}

TEST_CASE("the old host's logins reach the plan; plan --json and the text show none of them") {
  const plan::RescuePlan p = full_plan();
  const scan::Logins &old = p.kickstart.old_logins;
  CHECK(old.root_hash == "$6$root$ROOTHASH");
  REQUIRE(old.admins.size() == 1);
  CHECK(old.admins[0].ssh_keys.size() == 1);
  // The answer file keeps them (it is written 0600) ...
  const std::string saved = plan::to_json(p).dump();
  for (const char *secret :
       {"ROOTHASH", "AAAAroot", "ALICEHASH", "AAAAalice", "ALL=(ALL)", "$6$x$y"}) {
    CAPTURE(secret);
    CHECK(saved.find(secret) != std::string::npos);
  }
  // ... what is printed does not.
  const std::string shown = plan::to_redacted_json(p).dump() + plan::render_plan(p);
  for (const char *secret :
       {"ROOTHASH", "AAAAroot", "ALICEHASH", "AAAAalice", "ALL=(ALL)", "$6$x$y"}) {
    CAPTURE(secret);
    CHECK(shown.find(secret) == std::string::npos);
  }
  CHECK(shown.find("alice") != std::string::npos); // names stay
  std::string text = plan::render_plan(p);         // wrapped at 80 columns: one line again
  for (auto at = text.find("\n      "); at != std::string::npos; at = text.find("\n      ")) {
    text.replace(at, 7, " ");
  }
  CHECK(text.find("logins: a new root password + 1 admin account of the old host and its "
                  "sudoers.d") != std::string::npos);
  // Printed output is no answer file.
  const std::string why = load_error(plan::to_redacted_json(p));
  CHECK(why.find("kickstart.root_password_hash: was printed with its secrets hidden") == 0);
  // Plans written before the logins were carried load with none.
  json j = plan::to_json(p);
  j["kickstart"].erase("old_logins");
  CHECK(plan::plan_from_json(j).kickstart.old_logins == scan::Logins{});
}

TEST_CASE("load errors name the field") {
  const json good = plan::to_json(full_plan());

  json j = good;
  j.erase("items");
  CHECK(load_error(j) == "items: missing");

  j = good;
  j["items"][3].erase("dest");
  CHECK(load_error(j) == "items[3].dest: missing");

  j = good;
  j["items"][0]["size"] = "big";
  CHECK(load_error(j) == "items[0].size: is a string, not a non-negative integer");

  j = good;
  j["items"][1]["kind"] = "tarball";
  CHECK(load_error(j) == "items[1].kind: unknown item kind \"tarball\"");

  j = good;
  j["target"]["disk"]["fs_uuids"][0] = 5;
  CHECK(load_error(j) == "target.disk.fs_uuids[0]: is a number, not a string");

  j = good;
  j["kickstart"]["nic_map"]["eth0"] = true;
  CHECK(load_error(j) == "kickstart.nic_map.eth0: is a boolean, not a string");

  j = good;
  j["rewrites"][0]["block_to_file"] = "yes";
  CHECK(load_error(j) == "rewrites[0].block_to_file: is a string, not true or false");

  j = good;
  j["vms"] = "web01";
  CHECK(load_error(j) == "vms: is a string, not an array");

  j = good;
  j["schema_version"] = 2;
  CHECK(load_error(j) == "schema_version: 2 is not a schema version this kvm-rescue reads (it "
                         "reads 1)");

  j = good;
  j.erase("schema_version");
  CHECK(load_error(j) == "schema_version: missing");

  j = good;
  j["kind"] = "kvm-rescue.scan";
  CHECK(load_error(j) == "kind: \"kvm-rescue.scan\" is not a plan (\"kvm-rescue.plan\")");

  CHECK(load_error(json::array()) == "the plan is an array, not an object");
}

TEST_CASE("save_plan is atomic with mode 0600; load_plan errors name the file") {
  TempDir dir;
  const std::string path = dir / "plan.json";
  const plan::RescuePlan p = full_plan();
  write(path, "old");
  ::chmod(path.c_str(), 0644);
  plan::save_plan(p, path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
  CHECK(plan::load_plan(path) == p);

  SUBCASE("missing file") {
    CHECK_THROWS_WITH_AS(
        plan::load_plan(dir / "nosuch.json"),
        doctest::Contains(((dir / "nosuch.json") + ": cannot read the plan").c_str()), InputError);
  }
  SUBCASE("truncated file") {
    const std::string text = read_file_text(path);
    write(path, text.substr(0, text.size() / 2));
    CHECK_THROWS_WITH_AS(plan::load_plan(path),
                         doctest::Contains((path + ": not a complete JSON document").c_str()),
                         InputError);
  }
  SUBCASE("a field error names the file and the field") {
    json j = plan::to_json(p);
    j["items"][2].erase("source");
    write(path, j.dump());
    CHECK_THROWS_WITH_AS(plan::load_plan(path), (path + ": items[2].source: missing").c_str(),
                         InputError);
  }
  SUBCASE("cannot write: no partial file left") {
    CHECK_THROWS_AS(plan::save_plan(p, dir / "nodir/plan.json"), SysError);
  }
}

TEST_CASE("produced plans validate against docs/schemas/plan.schema.json") {
  REQUIRE_MESSAGE(have("python3"), "python3 is needed (scripts/setup installs it)");
  TempDir dir;
  const std::string path = dir / "plan.json";
  plan::save_plan(full_plan(), path);
  sh("python3 -c 'import json, sys, jsonschema; "
     "jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' " +
     path + " " + std::string(KVMR_SOURCE_DIR) + "/docs/schemas/plan.schema.json");
  // And the schema can fail: a plan without items does not validate.
  json j = plan::to_json(full_plan());
  j.erase("items");
  write(path, j.dump());
  sh("! python3 -c 'import json, sys, jsonschema; "
     "jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' " +
     path + " " + std::string(KVMR_SOURCE_DIR) + "/docs/schemas/plan.schema.json 2>/dev/null");
}

TEST_CASE("the network target's choices round-trip; older answer files have none") {
  plan::RescuePlan p = full_plan();
  p.target.network = {"ens3", "static", "192.168.1.50/24", "192.168.1.1", "192.168.1.1"};
  p.restore.start = true;
  p.restore.allow_emulation = true;
  p.restore.renames.push_back({"web01 \"$(x)\"", "ウェブ01"});
  json j = plan::to_json(p);
  CHECK(plan::plan_from_json(j) == p);
  j["target"]["network"]["method"] = "ppp";
  CHECK_THROWS_WITH_AS(plan::plan_from_json(j),
                       doctest::Contains("target.network.method: \"ppp\" is not"), InputError);
  j["target"].erase("network");
  j.erase("restore");
  const plan::RescuePlan old = plan::plan_from_json(j);
  CHECK(old.target.network == plan::NetworkChoice{});
  CHECK(old.restore == plan::RestoreChoices{});
}

TEST_CASE("load_plan finds a key file named relative to the answer file beside it") {
  TempDir dir;
  plan::RescuePlan p = full_plan();
  p.target.identity = "id_ed25519";
  p.target.known_hosts = "/etc/ssh/known";
  const std::string path = dir / "plan.json";
  plan::save_plan(p, path);
  const plan::RescuePlan back = plan::load_plan(path);
  CHECK(back.target.identity == dir / "id_ed25519");
  CHECK(back.target.known_hosts == "/etc/ssh/known");
}
