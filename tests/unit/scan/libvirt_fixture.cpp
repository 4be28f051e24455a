// Test inputs for the libvirt XML tests (see libvirt_fixture.hpp).
#include "unit/scan/libvirt_fixture.hpp"

#include "kickstart/shell_quote.hpp"
#include "rescue/util/command.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kvmr::test {

void write_fixture_libvirt(const std::string &root) {
  const std::string scripts = std::string(KVMR_SOURCE_DIR) + "/scripts";
  // The builder's own variables (HOSTILE_NAME, IMAGES) come from make-fixture
  // itself, so the test data cannot drift from what the fixture writes.
  sh("export LC_ALL=C.UTF-8; S=" + kickstart::shell_quote(scripts) +
     "; . \"$S/fixture-ids.env\"; . \"$S/lib/fixture-lib.sh\"; "
     ". \"$S/lib/fixture-libvirt.sh\"; . \"$S/lib/fixture-host.sh\"; "
     "eval \"$(grep -E '^(HOSTILE_NAME|HOSTILE_FILE|IMAGES)=' \"$S/make-fixture\")\"; "
     "OPT_BLOCK_VM=1; OPT_HOSTILE=1; write_libvirt " +
     kickstart::shell_quote(root));
}

std::string libvirt_data(const std::string &name) {
  return std::string(KVMR_SOURCE_DIR) + "/tests/data/libvirt/" + name;
}

std::string read_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string &path, const std::string &text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

void require_valid(const std::string &file, const std::string &schema) {
  REQUIRE_MESSAGE(have("virt-xml-validate"),
                  "virt-xml-validate is not on PATH: install libvirt-clients (scripts/setup)");
  SystemCommandRunner r;
  const auto res = r.run({"virt-xml-validate", file, schema}, std::chrono::seconds(60));
  INFO("virt-xml-validate " << file << " " << schema << "\n" << res.out << res.err);
  REQUIRE(res.exit_code == 0);
}

} // namespace kvmr::test
