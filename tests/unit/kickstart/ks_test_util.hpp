// Shared by the kickstart tests: a complete profile like the story's host,
// and running a command with its output.
#pragma once

#include "kickstart/profile.hpp"

#include <string>

namespace kvmr::kickstart::test {

Profile story_profile(Dialect d);

struct Ran {
  int status = -1;
  std::string out;
};
// Runs CMD with /bin/sh, stdout and stderr together.
Ran sh(const std::string &cmd);

// The command that runs pykickstart's ksvalidator (KVMR_KSVALIDATOR, or
// `ksvalidator` on PATH); "" when there is none.
std::string ksvalidator();

} // namespace kvmr::kickstart::test
