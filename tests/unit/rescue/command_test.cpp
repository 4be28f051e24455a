// SystemCommandRunner: output, exit codes, missing programs, time-outs.
#include "rescue/util/command.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <pthread.h>
#include <string>

using namespace kvmr; // NOLINT(google-build-using-namespace)
using namespace std::chrono_literals;

TEST_CASE("stdout, stderr and the exit code come back separately") {
  SystemCommandRunner r;
  const auto res = r.run({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10s);
  CHECK(res.exit_code == 3);
  CHECK(res.out == "out\n");
  CHECK(res.err == "err\n");
  CHECK_FALSE(res.timed_out);
  CHECK_FALSE(res.not_found);
}

TEST_CASE("arguments reach the program untouched, no shell in between") {
  SystemCommandRunner r;
  const auto res = r.run({"printf", "%s|", "a b", "$(id)", "'q'"}, 10s);
  CHECK(res.out == "a b|$(id)|'q'|");
}

TEST_CASE("a missing program is reported as not found") {
  SystemCommandRunner r;
  const auto res = r.run({"kvmr-no-such-program"}, 10s);
  CHECK(res.not_found);
  CHECK(res.exit_code != 0);
}

TEST_CASE("a program past its time-out is killed") {
  SystemCommandRunner r;
  const auto res = r.run({"sleep", "30"}, 300ms);
  CHECK(res.timed_out);
  CHECK(res.exit_code == 128 + 9);
}

TEST_CASE("a child starts with no blocked signals and default SIGINT/SIGPIPE actions") {
  // What HoldSignals and a harness that ignores SIGPIPE leave behind must
  // not reach the child: a stuck mkfs would not hear Ctrl-C.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigset_t old;
  REQUIRE(pthread_sigmask(SIG_BLOCK, &block, &old) == 0);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN; // NOLINT(cppcoreguidelines-pro-type-union-access)
  struct sigaction old_pipe {};
  REQUIRE(sigaction(SIGPIPE, &ign, &old_pipe) == 0);

  SystemCommandRunner r;
  const auto res = r.run({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}, 10s);

  sigaction(SIGPIPE, &old_pipe, nullptr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  REQUIRE(res.exit_code == 0);
  CHECK(res.out.find("SigBlk:\t0000000000000000") != std::string::npos);
  // SIGINT is bit 1 and SIGPIPE bit 12 of the ignored mask.
  const auto pos = res.out.find("SigIgn:\t");
  REQUIRE(pos != std::string::npos);
  const unsigned long long ignored = std::stoull(res.out.substr(pos + 8, 16), nullptr, 16);
  CHECK((ignored & (1ULL << (SIGINT - 1))) == 0);
  CHECK((ignored & (1ULL << (SIGPIPE - 1))) == 0);
}
