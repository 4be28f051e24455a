// Helpers of the finish tests: running a shell line for its output, a PATH
// on which no tool exists, and whether the real tools are here.
#pragma once

#include "unit/rescue/test_util.hpp"

#include <string>

namespace kvmr::test {

// Runs LINE with bash -euo pipefail and returns its stdout; fails the test
// when it exits non-zero.
std::string sh_out(const std::string &line);

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
