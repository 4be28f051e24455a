// SystemCommandRunner: output, exit codes, missing programs, time-outs.
#include "rescue/util/command.hpp"

#include <doctest/doctest.h>

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
