// Helpers of the finish tests (see finish_fixture.hpp).
#include "unit/finish/finish_fixture.hpp"

#include "kickstart/shell_quote.hpp"
#include "rescue/util/command.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

namespace kvmr::test {

std::string sh_out(const std::string &line) {
  SystemCommandRunner r;
  const auto res = r.run({"bash", "-euo", "pipefail", "-c", line}, std::chrono::seconds(120));
  INFO("command: " << line << "\nstdout: " << res.out << "\nstderr: " << res.err);
  REQUIRE(res.exit_code == 0);
  return res.out;
}

EmptyPath::EmptyPath() {
  const char *p = std::getenv("PATH");
  old_ = p == nullptr ? "" : p;
  ::setenv("PATH", dir_.path().c_str(), 1);
}

EmptyPath::~EmptyPath() {
  ::setenv("PATH", old_.c_str(), 1);
}

bool have_or_skip(const std::string &program) {
  if (have(program)) {
    return true;
  }
  skip(program + " not installed (scripts/setup installs it)");
  return false;
}

std::string q(const std::string &s) {
  return kickstart::shell_quote(s);
}

} // namespace kvmr::test
