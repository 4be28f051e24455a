// The restore options the network target's choices stand for: each value
// one argv word (names from the old disk and the user are never split or
// joined), in the order the restore script reads them.
#include "rescue/flow/remote_restore.hpp"

#include <doctest/doctest.h>

using namespace kvmr; // NOLINT(google-build-using-namespace)

TEST_CASE("restore_options: nothing chosen, nothing added") {
  CHECK(flow::restore_options({}).empty());
}

TEST_CASE("restore_options: start, emulation and each rename as three words") {
  plan::RestoreChoices c;
  c.start = true;
  c.allow_emulation = true;
  c.renames.push_back({"web 01 \"$(x)\"=y", "ウェブ01"});
  c.renames.push_back({"-db", "db2"});
  const std::vector<std::string> want{
      "--start",  "--allow-emulation", "--rename", "web 01 \"$(x)\"=y",
      "ウェブ01", "--rename",          "-db",      "db2"};
  CHECK(flow::restore_options(c) == want);
}
