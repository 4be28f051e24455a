// Golden kickstarts: the whole ks.cfg of the story's host for each dialect,
// compared line by line with tests/data/kickstart/story-<dialect>.ks (and
// lvm-/md-<dialect>.ks: the images on an existing LV resp. md array), so a
// change to any line of the output is seen and reviewed; each also passes
// the test checker (structure_problems).
// KVMR_UPDATE_GOLDEN=1 rewrites the files (then review the diff).
#include "kickstart/firmware.hpp"
#include "kickstart/render.hpp"
#include "kickstart/restore.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)

namespace {

RestoreSpec story_spec(Dialect d) {
  const std::string pl = "/var/lib/libvirt/images/kvm-rescue/payload";
  RestoreSpec s;
  s.dialect = d;
  s.payload_dir = pl;
  s.secrets.push_back(
      {"8f2b", pl + "/etc/libvirt/secrets/8f2b.xml", pl + "/etc/libvirt/secrets/8f2b.base64"});
  s.networks.push_back({"default", pl + "/etc/libvirt/qemu/networks/default.xml", true});
  s.nvram.push_back({pl + "/var/lib/libvirt/qemu/nvram/app01_VARS.fd",
                     "/var/lib/libvirt/qemu/nvram/app01_VARS.fd"});
  s.domains.push_back({"app01", pl + "/etc/libvirt/qemu/app01.xml", true});
  s.domains.push_back({"shop \"test\" $(x) ウェブ", pl + "/etc/libvirt/qemu/shop.xml", false});
  s.firmware = firmware_moves(d);
  return s;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

namespace {

// The kickstart made from profile MAKE(d) for every dialect equals
// tests/data/kickstart/<STEM>-<dialect>.ks.
void check_golden(const std::string &stem, Profile (*make)(Dialect)) {
  for (const Dialect d : {Dialect::el7, Dialect::el8, Dialect::el9}) {
    const std::string name = stem + "-" + to_string(d) + ".ks";
    const std::string path = std::string(KVMR_SOURCE_DIR) + "/tests/data/kickstart/" + name;
    const RestoreSpec spec = story_spec(d);
    const std::string ks =
        render(make(d), {render_restore_script(spec), render_restore_unit(spec)});
    const auto problems = test::structure_problems(ks, make(d));
    for (const auto &problem : problems) {
      INFO(name << ": " << problem);
      CHECK(problem.empty());
    }
    if (std::getenv("KVMR_UPDATE_GOLDEN") != nullptr) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << ks;
    }
    const std::string want = slurp(path);
    REQUIRE_MESSAGE(!want.empty(), path << " is missing (KVMR_UPDATE_GOLDEN=1 writes it)");
    // Line by line, so a failure names the first line that differs.
    std::istringstream got_in(ks);
    std::istringstream want_in(want);
    std::string g;
    std::string w;
    int line = 0;
    while (true) {
      const bool more_g = static_cast<bool>(std::getline(got_in, g));
      const bool more_w = static_cast<bool>(std::getline(want_in, w));
      ++line;
      if (!more_g && !more_w) {
        break;
      }
      INFO(name << " line " << line);
      REQUIRE(more_g == more_w); // one ends early
      REQUIRE(g == w);
    }
  }
}

} // namespace

TEST_CASE("the story's kickstart, whole, per dialect, equals its golden file") {
  check_golden("story", test::story_profile);
}

TEST_CASE("the kickstart for images on an existing LV over two disks equals its golden file") {
  check_golden("lvm", test::lvm_profile);
}

TEST_CASE("the kickstart for images on an existing md array equals its golden file") {
  check_golden("md", test::md_profile);
}
