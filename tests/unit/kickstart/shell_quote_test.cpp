// shell_quote: every value from a disk becomes exactly one inert shell word.
#include "kickstart/shell_quote.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <sys/wait.h>

using kvmr::kickstart::shell_quote;

namespace {

// What bash makes of `printf %s <quoted>`: the word must come back as is.
std::string through_bash(const std::string &value) {
  const std::string cmd = "bash -c " + shell_quote("printf %s " + shell_quote(value));
  FILE *p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 256> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
    out.append(buf.data(), n);
  }
  REQUIRE(WEXITSTATUS(pclose(p)) == 0);
  return out;
}

} // namespace

TEST_CASE("plain and empty values are single-quoted") {
  CHECK(shell_quote("web01") == "'web01'");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("hostile values survive bash unchanged and run nothing") {
  const std::array<std::string, 7> values{"shop \"test\" $(touch /tmp/kvmr-pwned) ウェブ",
                                          "a'b",
                                          "`id`",
                                          "x; rm -rf /",
                                          "$HOME",
                                          "line\nbreak",
                                          "back\\slash"};
  for (const auto &v : values) {
    CHECK(through_bash(v) == v);
  }
  CHECK(std::fopen("/tmp/kvmr-pwned", "r") == nullptr);
}

TEST_CASE("a NUL byte is refused") {
  CHECK_THROWS_AS(shell_quote(std::string("a\0b", 3)), std::invalid_argument);
}
