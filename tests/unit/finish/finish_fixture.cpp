// Helpers of the finish tests (see finish_fixture.hpp).
#include "unit/finish/finish_fixture.hpp"

#include "kickstart/shell_quote.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

namespace kvmr::test {

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
