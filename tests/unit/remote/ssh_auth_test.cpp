// Logging in to the network target by password: the askpass program that
// hands it to ssh from memory, and the link's refusal without a key or a
// password (no second host needed: the host key comes from a file).
#include "rescue/remote/askpass.hpp"
#include "rescue/remote/ssh_link.hpp"
#include "rescue/util/command.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

using namespace kvmr;

namespace {

CommandResult run_program(const std::string &path) {
  SystemCommandRunner runner;
  return runner.run({path, "root@kvm02's password: "}, std::chrono::seconds(10));
}

} // namespace

TEST_CASE("askpass: prints the password as it is, from memory only") {
  for (const std::string pw : {"plain", R"(it's "quoted" $(touch /tmp/kvmr-x) `id` \n %s *)",
                               "パスワード", " lead and trail ", "-n"}) {
    CAPTURE(pw);
    std::string path;
    {
      const remote::AskpassProgram askpass(pw);
      path = askpass.path();
      CHECK(path.starts_with("/proc/" + std::to_string(::getpid()) + "/fd/"));
      // A memfd: no file system holds it (a noexec /run does not matter).
      CHECK(std::filesystem::read_symlink(path).string().starts_with("/memfd:"));
      const CommandResult r = run_program(path);
      CHECK(r.exit_code == 0);
      CHECK(r.out == pw + "\n");
      CHECK(r.err.empty());
    }
    CHECK_FALSE(std::filesystem::exists(path)); // closed: the password is gone with it
  }
  CHECK_FALSE(std::filesystem::exists("/tmp/kvmr-x"));
}

TEST_CASE("askpass: what ssh could not take is refused") {
  CHECK_THROWS_AS(remote::AskpassProgram(""), InputError);
  CHECK_THROWS_AS(remote::AskpassProgram("two\nlines"), InputError);
  CHECK_THROWS_AS(remote::AskpassProgram("cr\r"), InputError);
  CHECK_THROWS_AS(remote::AskpassProgram(std::string("nul\0byte", 8)), InputError);
}

TEST_CASE("ssh link: neither a key nor a password is refused, nothing left behind") {
  const test::TempDir tmp;
  const std::string known = tmp / "known_hosts";
  std::ofstream(known) << "[192.0.2.1]:2222 ssh-ed25519 "
                          "AAAAC3NzaC1lZDI1NTE5AAAAIGc2hQ3Tb9RbKj4bJcqC3P6wUGVw0sRyEd0gU1ZkcQ8K\n";
  const std::string run_dir = tmp / "run";
  const auto url = remote::parse_ssh_url("ssh://192.0.2.1:2222/srv");
  try {
    remote::SshLink link(url, {"", known}, "", run_dir);
    FAIL("no error");
  } catch (const InputError &e) {
    const std::string what = e.what();
    CHECK(what.find("--identity FILE") != std::string::npos);
    CHECK(what.find("--password-stdin") != std::string::npos);
    CHECK(what.find("root's password") != std::string::npos);
  }
  CHECK(std::filesystem::is_empty(run_dir)); // the private directory is gone
}
