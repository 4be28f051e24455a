// write_file_lines, the one way %post writes a file: run for real by
// bash, the bytes and mode that land, as here-document or base64.
#include "kickstart/post.hpp"

#include "kickstart/shell_quote.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;

namespace {

const std::string kHostile = "shop \"test\" $(touch /tmp/pwned) ウェブ";

std::string slurp(const fs::path &p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("write_file_lines writes the exact bytes, as here-document or base64") {
  const fs::path dir = fs::absolute("write-file-lines");
  fs::remove_all(dir);
  for (const std::string &content :
       {std::string("#!/bin/bash\necho 'a b' \"$x\"\nKVMR_EOF\n"),
        std::string("line\n%end\n") + kHostile + "\nno newline at the end", std::string("ab"),
        std::string("abc\n")}) {
    const std::string path = (dir / "sub" / "f").string();
    std::string script;
    for (const auto &l : write_file_lines(path, content, "0640")) {
      script += l + "\n";
    }
    std::ofstream(dir.string() + ".sh") << script;
    const auto r = test::sh("bash " + shell_quote(dir.string() + ".sh"));
    INFO(script);
    CHECK(r.status == 0);
    // A here-document always ends in a newline; base64 keeps the bytes.
    const std::string got = slurp(path);
    CHECK((got == content || got == content + "\n"));
    CHECK((fs::status(path).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
    fs::remove_all(dir);
    fs::remove(dir.string() + ".sh");
  }
}
