// The ways into the rebuilt host in the kickstart: rootpw and user lines,
// and the %post lines that install the keys and sudoers.d files, run for
// real by bash in a sandbox (paths moved under it, ownership and SELinux
// calls recorded), so the bytes and modes that land are checked.
#include "kickstart/logins.hpp"

#include "kickstart/ks_reader.hpp"
#include "kickstart/render.hpp"
#include "kickstart/safety.hpp"
#include "kickstart/shell_quote.hpp"
#include "rescue/util/error.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
using kvmr::InputError;
namespace fs = std::filesystem;

namespace {

bool has_line(const std::string &ks, const std::string &line) {
  return ("\n" + ks).find("\n" + line + "\n") != std::string::npos;
}

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned mode_of(const fs::path &p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777U;
}

// Runs LINES with bash, every quoted absolute path under /root, /home or
// /etc moved under DIR; chown, restorecon, usermod and visudo only say
// what they were asked (DIR/calls).
test::Ran run_in_sandbox(const std::vector<std::string> &lines, const fs::path &dir) {
  std::string script = "set -eu\n"
                       "chown() { echo \"chown $*\" >> " +
                       shell_quote((dir / "calls").string()) +
                       "; }\n"
                       "restorecon() { :; }\n"
                       "usermod() { echo \"usermod $*\" >> " +
                       shell_quote((dir / "calls").string()) +
                       "; }\n"
                       "visudo() { grep -q BROKEN \"${2:-$1}\" && return 1; return 0; }\n";
  for (std::string l : lines) {
    for (const std::string top : {"'/root", "'/home", "'/etc"}) {
      for (auto at = l.find(top); at != std::string::npos; at = l.find(top, at + 1)) {
        l.insert(at + 1, dir.string());
        at += dir.string().size();
      }
    }
    script += l + "\n";
  }
  fs::create_directories(dir / "etc/sudoers.d");
  std::ofstream(dir / "post.sh") << script;
  return test::sh("bash " + shell_quote((dir / "post.sh").string()));
}

} // namespace

TEST_CASE("the old host's root hash and admin accounts become rootpw and user lines") {
  const Profile p = test::story_profile(Dialect::el7);
  const std::string ks = render(p, {});
  CHECK(has_line(ks, "rootpw --iscrypted " + p.root_hash));
  CHECK(
      has_line(ks, "user --name=alice --groups=wheel --iscrypted --password=" + p.admins[0].hash));
  // pykickstart's split sees one user command with those options.
  CHECK(split_ks_line("user --name=alice --groups=wheel --iscrypted --password=" + p.admins[0].hash)
            .size() == 5);
  Profile locked = p;
  locked.admins[0].hash.clear();
  CHECK(has_line(render(locked, {}), "user --name=alice --groups=wheel --lock"));
  CHECK(render(p, {}).find("sshkey") == std::string::npos); // keys go through %post
}

TEST_CASE("%post installs every key and sudoers.d file with its exact bytes and modes") {
  Profile p = test::story_profile(Dialect::el8);
  p.root_keys.emplace_back("command=\"echo hi; $(reboot)\" ssh-rsa AAAAB3Nz second@key");
  p.sudoers.push_back({"20-ops", "%wheel ALL=(ALL) ALL\n%end\nDefaults:alice !requiretty\n"});
  p.sudoers.push_back({"30-broken", "BROKEN line\n"});
  const fs::path dir = fs::absolute("logins-sandbox");
  fs::remove_all(dir);
  const auto r = run_in_sandbox(login_post_lines(p), dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  const fs::path root_keys = dir / "root/.ssh/authorized_keys";
  CHECK(slurp(root_keys) == p.root_keys[0] + "\n" + p.root_keys[1] + "\n");
  CHECK(mode_of(root_keys) == 0600U);
  CHECK(mode_of(dir / "root/.ssh") == 0700U);
  const fs::path alice_keys = dir / "home/alice/.ssh/authorized_keys";
  CHECK(slurp(alice_keys) == p.admins[0].ssh_keys[0] + "\n");
  CHECK(mode_of(dir / "home/alice/.ssh") == 0700U);
  CHECK(slurp(dir / "etc/sudoers.d/10-admins") == p.sudoers[0].content);
  CHECK(slurp(dir / "etc/sudoers.d/20-ops") == p.sudoers[1].content);
  CHECK(mode_of(dir / "etc/sudoers.d/20-ops") == 0440U);
  // One that visudo refuses does not stay where sudo would read it.
  CHECK_FALSE(fs::exists(dir / "etc/sudoers.d/30-broken"));
  CHECK(fs::exists(dir / "root/30-broken"));
  const std::string calls = slurp(dir / "calls");
  CHECK(calls.find("chown -R alice:alice " + (dir / "home/alice/.ssh").string()) !=
        std::string::npos);
  CHECK(calls.find("usermod -c Alice Admin alice") != std::string::npos);
  if (std::getenv("KVMR_KEEP_SANDBOX") == nullptr) {
    fs::remove_all(dir);
  }
}

TEST_CASE("a sudoers line starting with % cannot end %post: the file goes as base64") {
  Profile p = test::story_profile(Dialect::el7);
  p.sudoers[0].content = "%wheel ALL=(ALL) ALL\n%end\nzerombr\n";
  const std::string ks = render(p, {});
  const KsRead r = read_kickstart(ks);
  for (const auto &e : r.elements) {
    CHECK(e.text != "zerombr");
  }
  CHECK(ks.find("base64 -d > '/etc/sudoers.d/10-admins'") != std::string::npos);
}

TEST_CASE("a kickstart that lets nobody in is refused unless asked for") {
  Profile p = test::story_profile(Dialect::el9);
  p.root = RootPolicy::locked;
  p.root_hash.clear();
  p.root_keys.clear();
  p.admins[0].hash.clear();
  p.admins[0].ssh_keys.clear();
  CHECK_FALSE(has_way_in(p));
  CHECK_THROWS_WITH_AS(render(p, {}), doctest::Contains("no way into the new host"), InputError);
  CHECK_THROWS_WITH_AS(render(p, {}), doctest::Contains("--root-password-file"), InputError);
  p.allow_no_login = true;
  CHECK(has_line(render(p, {}), "rootpw --lock"));
  // One admin key is a way in.
  p.allow_no_login = false;
  p.admins[0].ssh_keys = {"ssh-ed25519 AAAA a@b"};
  CHECK(has_way_in(p));
  CHECK_NOTHROW((void)render(p, {}));
}

TEST_CASE("a public key file: its first line, refused when it is not a key") {
  const fs::path f = fs::absolute("key-file-test.pub");
  std::ofstream(f) << "ssh-ed25519 AAAAC3Nza admin@stick\nsecond line\n";
  CHECK(read_public_key(f.string()) == "ssh-ed25519 AAAAC3Nza admin@stick");
  std::ofstream(f) << "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  CHECK_THROWS_WITH_AS(read_public_key(f.string()), doctest::Contains("not an SSH public key"),
                       InputError);
  fs::remove(f);
  CHECK_THROWS_WITH_AS(read_public_key(f.string()), doctest::Contains("cannot read"), InputError);
}
