// The no-modify check of mounted volumes: which volumes are checked, on
// which device, and that the checker's outcome lands in Volume::check.
// The checkers are stood in for by a fake runner (the real tools are
// tested in fs_check_test.cpp).
#include "rescue/volume/volume_check.hpp"

#include <doctest/doctest.h>

#include <utility>

using namespace kvmr;         // NOLINT(google-build-using-namespace)
using namespace kvmr::volume; // NOLINT(google-build-using-namespace)

namespace {

class FakeRunner final : public CommandRunner {
public:
  CommandResult run(const std::vector<std::string> &argv,
                    std::chrono::milliseconds /*timeout*/) override {
    seen.push_back(argv);
    CommandResult r;
    if (argv.back() == "/dev/loop8") {
      r.exit_code = 2;
      r.err = "ERROR: The filesystem has valuable metadata changes in a log which needs to\n"
              "be replayed.\n";
    } else {
      r.exit_code = 0;
      r.out = "Phase 1 - find and verify superblock...\n";
    }
    return r;
  }
  std::vector<std::vector<std::string>> seen;
};

Volume vol(std::string name, std::string fstype, std::string mountpoint) {
  Volume v;
  v.name = std::move(name);
  v.fstype = std::move(fstype);
  v.mountpoint = std::move(mountpoint);
  return v;
}

} // namespace

TEST_CASE("every mounted volume is checked on its own device, the rest are not") {
  std::vector<Volume> vols{vol("centos/root", "xfs", "/"), vol("dead.img p3", "xfs", "/boot"),
                           vol("dead.img p2", "vfat", "/boot/efi"),
                           vol("vmdata/images", "ext4", "/var/lib/libvirt/images"),
                           vol("centos/db01", "xfs", "")};
  const std::map<std::string, std::string> devices{{"centos/root", "/dev/loop8"},
                                                   {"dead.img p3", "/dev/loop9"},
                                                   {"dead.img p2", "/dev/loop10"},
                                                   {"vmdata/images", "/dev/mapper/kvmr-1-x"}};
  FakeRunner runner;
  check_volumes(vols, devices, runner);

  // vfat has no checker: nothing runs for it, db01 is not mounted.
  CHECK(runner.seen ==
        std::vector<std::vector<std::string>>{{"xfs_repair", "-n", "-f", "/dev/loop8"},
                                              {"xfs_repair", "-n", "-f", "/dev/loop9"},
                                              {"e2fsck", "-n", "-f", "/dev/mapper/kvmr-1-x"}});
  REQUIRE(vols[0].check);
  CHECK(vols[0].check->verdict == FsCheckVerdict::dirty_log);
  CHECK(vols[0].check->device == "/dev/loop8");
  CHECK(vols[0].check->exit_code == 2);
  REQUIRE(vols[1].check);
  CHECK(vols[1].check->verdict == FsCheckVerdict::clean);
  REQUIRE(vols[2].check);
  CHECK(vols[2].check->verdict == FsCheckVerdict::not_available);
  REQUIRE(vols[3].check);
  CHECK(vols[3].check->verdict == FsCheckVerdict::clean);
  CHECK(vols[3].check->fstype == "ext4");
  CHECK_FALSE(vols[4].check);
}

TEST_CASE("a volume named in DEVICES but no longer mounted is not checked") {
  std::vector<Volume> vols{vol("centos/home", "xfs", "")};
  FakeRunner runner;
  check_volumes(vols, {{"centos/home", "/dev/loop3"}}, runner);
  CHECK(runner.seen.empty());
  CHECK_FALSE(vols[0].check);
}
