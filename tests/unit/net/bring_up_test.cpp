// The bring-up's steps over a made-up /sys/class/net, with a runner that
// records each command and answers as ip or a DHCP client would (the real
// tools run in tests/integration/network_test.py, in namespaces).
#include "rescue/net/bring_up.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>

namespace fs = std::filesystem;
using namespace kvmr::net; // NOLINT(google-build-using-namespace)
using kvmr::CommandResult;
using kvmr::InputError;

namespace {

class Recorder final : public kvmr::CommandRunner {
public:
  std::function<CommandResult(const std::vector<std::string> &)> answer;
  std::vector<std::vector<std::string>> calls;
  CommandResult run(const std::vector<std::string> &argv, std::chrono::milliseconds) override {
    calls.push_back(argv);
    if (answer) {
      return answer(argv);
    }
    return ok(argv);
  }
  static CommandResult ok(const std::vector<std::string> &argv) {
    CommandResult r;
    r.exit_code = 0;
    if (argv.size() > 1 && argv[0] == "ip" && argv[1] == "-j") {
      r.out = "[]";
    }
    return r;
  }
};

struct Sys {
  kvmr::test::TempDir t;
  NetOptions opts;
  Sys() {
    for (const char *name : {"eno1", "eno2"}) {
      fs::create_directories(t.path() / "net" / name);
      std::ofstream(t.path() / "net" / name / "flags") << "0x1002\n";
    }
    opts.sys_class_net = t.path() / "net";
    opts.state_dir = t.path() / "state";
    opts.resolv_conf = t.path() / "resolv.conf";
    opts.dhcp_timeout = std::chrono::seconds(7);
  }
  [[nodiscard]] std::vector<Nic> nics() const { return read_sysfs_nics(opts.sys_class_net); }
};

using Argv = std::vector<std::string>;

} // namespace

TEST_CASE("static: a port that does not exist is refused, naming the ports there are") {
  Sys s;
  CHECK_THROWS_WITH_AS(parse_static(s.nics(), "eth9", "10.0.0.5/24", "", ""),
                       doctest::Contains("no network port 'eth9'; ports here: eno1, eno2"),
                       InputError);
  CHECK_THROWS_WITH_AS(parse_static(s.nics(), "eno1", "10.0.0.5/24", "fd00::1", ""),
                       doctest::Contains("--gateway 'fd00::1': an IPv6 gateway for the IPv4"),
                       InputError);
  CHECK_THROWS_WITH_AS(parse_static(s.nics(), "eno1", "10.0.0.5/24", "", "8.8.8"),
                       doctest::Contains("--dns '8.8.8'"), InputError);
}

TEST_CASE("static: link up, the address, the default route, resolv.conf only with --dns") {
  Sys s;
  std::ofstream(s.opts.resolv_conf) << "nameserver 192.0.2.53\n";
  Recorder run;
  auto r = bring_up_static(parse_static(s.nics(), "eno1", "10.0.0.5/24", "", ""), run, s.opts);
  CHECK(r.ok);
  CHECK(r.error.empty());
  REQUIRE(run.calls.size() == 3);
  CHECK(run.calls[0] == Argv{"ip", "link", "set", "dev", "eno1", "up"});
  CHECK(run.calls[1] == Argv{"ip", "-4", "addr", "replace", "10.0.0.5/24", "dev", "eno1"});
  CHECK(run.calls[2][0] == "ip"); // read back
  {
    std::ifstream in(s.opts.resolv_conf);
    std::string line;
    std::getline(in, line);
    CHECK(line == "nameserver 192.0.2.53"); // untouched without --dns
  }
  run.calls.clear();
  r = bring_up_static(parse_static(s.nics(), "eno2", "10.0.0.6/24", "10.0.0.1", "10.0.0.53"), run,
                      s.opts);
  CHECK(r.ok);
  REQUIRE(run.calls.size() == 4);
  CHECK(run.calls[2] ==
        Argv{"ip", "-4", "route", "replace", "default", "via", "10.0.0.1", "dev", "eno2"});
  std::ifstream in(s.opts.resolv_conf);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("nameserver 10.0.0.53\n") != std::string::npos);
  CHECK(text.find("192.0.2.53") == std::string::npos);
}

TEST_CASE("static: ip's refusal reaches the result, naming the port and the step") {
  Sys s;
  Recorder run;
  run.answer = [](const Argv &argv) {
    if (argv.size() > 2 && argv[2] == "route") {
      CommandResult r;
      r.exit_code = 2;
      r.err = "Error: Nexthop has invalid gateway.\n";
      return r;
    }
    return Recorder::ok(argv);
  };
  const auto r =
      bring_up_static(parse_static(s.nics(), "eno1", "10.0.0.5/24", "10.9.9.1", ""), run, s.opts);
  CHECK_FALSE(r.ok);
  CHECK(r.error == "eno1: the default route through 10.9.9.1: Error: Nexthop has invalid gateway.");
}

TEST_CASE("dhcp: dhclient with its own files under the state dir, bounded in time") {
  Sys s;
  Recorder run;
  const auto r = bring_up_dhcp("eno1", run, s.opts);
  CHECK(r.ok);
  CHECK(r.client == "dhclient");
  REQUIRE(run.calls.size() == 3);
  CHECK(run.calls[0] == Argv{"ip", "link", "set", "dev", "eno1", "up"});
  const fs::path st = s.opts.state_dir;
  CHECK(run.calls[1] == Argv{"dhclient", "-1", "-v", "-cf", (st / "dhclient-eno1.conf").string(),
                             "-lf", (st / "dhclient-eno1.leases").string(), "-pf",
                             (st / "dhclient-eno1.pid").string(), "eno1"});
  std::ifstream conf(st / "dhclient-eno1.conf");
  const std::string text((std::istreambuf_iterator<char>(conf)), std::istreambuf_iterator<char>());
  CHECK(text.find("timeout 7;") != std::string::npos);
  CHECK((fs::status(st).permissions() & fs::perms::others_all) == fs::perms::none);
}

TEST_CASE("dhcp: an earlier client on the port is stopped first; dhcpcd when dhclient is missing") {
  Sys s;
  Recorder run;
  fs::create_directories(s.opts.state_dir);
  std::ofstream(s.opts.state_dir / "dhclient-eno1.pid") << "4242\n";
  run.answer = [](const Argv &argv) {
    if (argv[0] == "dhclient" && argv[1] != "-x") {
      CommandResult r;
      r.not_found = true;
      return r;
    }
    return Recorder::ok(argv);
  };
  const auto r = bring_up_dhcp("eno1", run, s.opts);
  CHECK(r.ok);
  CHECK(r.client == "dhcpcd");
  REQUIRE(run.calls.size() == 5);
  CHECK(run.calls[1][0] == "dhclient");
  CHECK(run.calls[1][1] == "-x");
  CHECK(run.calls[3] == Argv{"dhcpcd", "-4", "-w", "-t", "7", "eno1"});
  CHECK_FALSE(fs::exists(s.opts.state_dir / "dhclient-eno1.pid"));
  // and a static address afterwards stops that dhcpcd
  run.calls.clear();
  run.answer = nullptr;
  bring_up_static(parse_static(s.nics(), "eno1", "10.0.0.5/24", "", ""), run, s.opts);
  CHECK(run.calls[0] == Argv{"dhcpcd", "-x", "eno1"});
}

TEST_CASE("dhcp: no answer in time, no client at all, no such port") {
  Sys s;
  Recorder run;
  run.answer = [](const Argv &argv) {
    if (argv[0] == "dhclient") {
      CommandResult r;
      r.exit_code = 2;
      r.err = "No DHCPOFFERS received.\nUnable to obtain a lease on first try.  Exiting.\n";
      return r;
    }
    return Recorder::ok(argv);
  };
  auto r = bring_up_dhcp("eno1", run, s.opts);
  CHECK_FALSE(r.ok);
  CHECK(r.error == "eno1: no DHCP server answered within 7 s (dhclient; link down)");
  run.answer = [](const Argv &argv) {
    if (argv[0] != "ip") {
      CommandResult missing;
      missing.not_found = true;
      return missing;
    }
    return Recorder::ok(argv);
  };
  r = bring_up_dhcp("eno1", run, s.opts);
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("no DHCP client is installed") != std::string::npos);
  run.calls.clear();
  r = bring_up_dhcp("wlan0", run, s.opts);
  CHECK_FALSE(r.ok);
  CHECK(r.error == "no network port 'wlan0'; ports here: eno1, eno2");
  CHECK(run.calls.empty());
}
