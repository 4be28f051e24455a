// Helpers of the finish tests: a PATH on which no tool exists, and whether
// the real tools are here (sh_out is test_util's).
#pragma once

#include "unit/rescue/test_util.hpp"

#include <string>

namespace kvmr::test {

// While it lives, PATH names only an empty directory: every external tool
// is "not installed" (posix_spawnp finds nothing).
class EmptyPath {
public:
  EmptyPath();
  EmptyPath(const EmptyPath &) = delete;
  EmptyPath &operator=(const EmptyPath &) = delete;
  EmptyPath(EmptyPath &&) = delete;
  EmptyPath &operator=(EmptyPath &&) = delete;
  ~EmptyPath();

private:
  TempDir dir_;
  std::string old_;
};

// True when PROGRAM is installed; otherwise skips the test case
// (unit/skip.hpp) and returns false.
bool have_or_skip(const std::string &program);

// Quoted for bash.
std::string q(const std::string &s);

} // namespace kvmr::test
