// The restore script's check of where it runs from (restore_where.hpp),
// run by bash: from the data disk at the plan's data mount it goes on,
// from a disk mounted elsewhere it stops with the commands that fix it,
// and those commands, run as printed, name the exact paths.
#include "kickstart/restore_where.hpp"

#include "kickstart/shell_quote.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;

namespace {

// The check for a plan whose data mount is MOUNT, in a script at
// SCRIPT_DIR (the copy writes it beside the payload), run by bash.
test::Ran run_check(const std::string &mount, const fs::path &script_dir) {
  RestoreSpec s;
  s.data_mount = mount;
  s.payload_dir = mount + "/kvm-rescue/payload";
  fs::create_directories(script_dir);
  const fs::path script = script_dir / kRestoreScriptName;
  std::ofstream(script) << "#!/bin/bash\nset -u\n" << render_where_check(s) << "echo 'went on'\n";
  return test::sh("cd / && bash " + shell_quote(script.string()) + " --dry-run 2>&1");
}

// A directory standing in for the rescued disk's filesystem (DISK) with
// kvm-rescue/payload, and for this host's directories around it.
struct Box {
  fs::path dir = fs::absolute("restore-where-box");
  fs::path disk = dir / "mnt" / "rescued disk";
  Box() {
    fs::remove_all(dir);
    fs::create_directories(disk / "kvm-rescue" / "payload");
    std::ofstream(disk / "kvm-rescue" / "manifest.json") << "{}\n";
  }
  Box(const Box &) = delete;
  Box &operator=(const Box &) = delete;
  Box(Box &&) = delete;
  Box &operator=(Box &&) = delete;
  ~Box() { fs::remove_all(dir); }

  [[nodiscard]] test::Ran run(const std::string &mount) const {
    return run_check(mount, disk / "kvm-rescue");
  }
};

// The printed command line that starts with WORD, run by bash with WORD
// a function printing its arguments one per line.
std::string as_run(const std::string &out, const std::string &word) {
  const auto at = out.find("\n  " + word + " ");
  if (at == std::string::npos) {
    return "(no " + word + " line)";
  }
  const std::string line = out.substr(at + 3, out.find('\n', at + 1) - at - 3);
  return test::sh("bash -c " + shell_quote(word + R"(() { printf '%s\n' "$@"; }; )" + line)).out;
}

} // namespace

TEST_CASE("on the data disk at the plan's data mount, the script goes on") {
  const Box box;
  const auto r = box.run(box.disk.string());
  CHECK(r.status == 0);
  CHECK(r.out == "went on\n");
}

TEST_CASE("a data mount that is a link to the disk is the same place") {
  const Box box;
  fs::create_directory_symlink(box.disk, box.dir / "images");
  const auto r = box.run((box.dir / "images").string());
  CHECK(r.out == "went on\n");
}

TEST_CASE("without a payload beside it (the kickstart's copy), nothing is checked") {
  const Box box;
  const auto r = run_check((box.dir / "nowhere").string(), box.dir / "usr" / "local" / "sbin");
  CHECK(r.out == "went on\n");
}

TEST_CASE("a payload directory without the copy's manifest beside it is not the data disk") {
  const Box box;
  fs::remove(box.disk / "kvm-rescue" / "manifest.json");
  const auto r = box.run((box.dir / "nowhere").string());
  CHECK(r.out == "went on\n");
}

TEST_CASE("from a disk mounted elsewhere, it stops and says exactly how to mount it") {
  const Box box;
  const std::string mount = (box.dir / "var/lib/libvirt/it's $(touch pwned) images").string();
  const auto r = box.run(mount);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("went on") == std::string::npos);
  CHECK(r.out.find("nothing was changed") != std::string::npos);
  CHECK(as_run(r.out, "mkdir") == "-p\n" + mount + "\n");
  CHECK(as_run(r.out, "mount") == "--bind\n" + box.disk.string() + "\n" + mount + "\n");
  CHECK(r.out.find(" entries of this host") == std::string::npos);
  CHECK_FALSE(fs::exists("/pwned"));
  const std::string there = mount + "/kvm-rescue/" + kRestoreScriptName;
  const std::string quoted =
      test::sh("bash -c " + shell_quote("printf '%q' " + shell_quote(there))).out;
  CHECK(r.out.find("\n  " + quoted + " --dry-run\n") != std::string::npos);
  // Followed (a link standing in for the bind mount), the script goes on
  // from there.
  fs::create_directories(fs::path(mount).parent_path());
  fs::create_directory_symlink(box.disk, mount);
  CHECK(test::sh("bash " + shell_quote(there)).out == "went on\n");
}

TEST_CASE("a data mount that holds this host's files is named with their count") {
  const Box box;
  const fs::path mount = box.dir / "images";
  fs::create_directories(mount);
  for (const char *f : {"own01.qcow2", "own02.qcow2", ".hidden"}) {
    std::ofstream(mount / f) << "x";
  }
  const auto r = box.run(mount.string());
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find(mount.string() + " holds 3 entries of this host") != std::string::npos);
  CHECK(r.out.find("mkdir") == std::string::npos); // it exists
}
