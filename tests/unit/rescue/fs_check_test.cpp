// The no-modify check on real filesystems made by mkfs, damaged by the
// filesystems' own debug tools. The images are hashed before and after:
// the check must not change a byte.
#include "rescue/volume/fs_check.hpp"
#include "tests/unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

using namespace kvmr::volume;
using kvmr::test::sh;

namespace {

FsCheck checked(const std::string &img, const std::string &fstype) {
  kvmr::SystemCommandRunner runner;
  const std::string before = kvmr::test::sha256_of(img);
  FsCheck c = check_filesystem(img, fstype, runner);
  CHECK(kvmr::test::sha256_of(img) == before);
  return c;
}

bool any_line_has(const FsCheck &c, const std::string &needle) {
  for (const auto &l : c.findings) {
    if (l.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

TEST_CASE("xfs_repair -n: a fresh XFS is clean") {
  const kvmr::test::TempDir dir;
  const std::string img = dir / "x.img";
  sh("truncate -s 300M " + img + " && mkfs.xfs -q " + img);
  const FsCheck c = checked(img, "xfs");
  CHECK(c.command == std::vector<std::string>{"xfs_repair", "-n", "-f", img});
  CHECK(c.verdict == FsCheckVerdict::clean);
  CHECK(c.exit_code == 0);
  CHECK_FALSE(any_line_has(c, "host filesystem geometry"));
}

TEST_CASE("xfs_repair -n: a log with unwritten changes is reported as such" *
          doctest::test_suite("root")) {
  KVMR_SKIP_UNLESS(::geteuid() == 0,
                   "making a dirty XFS log needs root (mount and xfs_io shutdown)");
  const kvmr::test::TempDir dir;
  const std::string img = dir / "x.img";
  const std::string mnt = dir / "m";
  sh("truncate -s 300M " + img + " && mkfs.xfs -q " + img + " && mkdir " + mnt);
  // The loop device is released by umount (autoclear), also when a step fails.
  sh("mount -o loop " + img + " " + mnt + " && { for i in $(seq 1 50); do touch " + mnt +
     "/f$i; done; xfs_io -c fsync " + mnt + "/f50 && xfs_io -x -c shutdown " + mnt +
     "; rc=$?; umount " + mnt + "; exit $rc; }");
  const FsCheck c = checked(img, "xfs");
  CHECK(c.verdict == FsCheckVerdict::dirty_log);
  CHECK(any_line_has(c, "valuable metadata changes in a log"));
}

TEST_CASE("e2fsck -n: clean, damaged and an unreplayed journal") {
  const kvmr::test::TempDir dir;
  const std::string img = dir / "e.img";
  sh("truncate -s 100M " + img + " && mkfs.ext4 -q " + img);
  FsCheck c = checked(img, "ext4");
  CHECK(c.verdict == FsCheckVerdict::clean);

  sh("debugfs -w -R 'sif <2> links_count 7' " + img + " 2>/dev/null");
  c = checked(img, "ext4");
  CHECK(c.verdict == FsCheckVerdict::problems);
  CHECK(c.exit_code == 4);
  CHECK(any_line_has(c, "Inode 2 ref count is 7, should be 3."));

  const std::string j = dir / "j.img";
  sh("truncate -s 100M " + j + " && mkfs.ext4 -q " + j +
     " && debugfs -w -R 'feature needs_recovery' " + j + " 2>/dev/null");
  c = checked(j, "ext4");
  CHECK(c.verdict == FsCheckVerdict::dirty_log);
}

TEST_CASE("no checker, a missing tool, a device that is not there") {
  kvmr::SystemCommandRunner runner;
  FsCheck c = check_filesystem("/dev/null", "vfat", runner);
  CHECK(c.verdict == FsCheckVerdict::not_available);
  CHECK(c.command.empty());
  c = check_filesystem("/nonexistent/x.img", "xfs", runner);
  CHECK(c.verdict == FsCheckVerdict::failed);
  CHECK(c.summary.find("could not check") != std::string::npos);
}

TEST_CASE("xfs_repair -n: zeros where an XFS was are damage, not a failure to run") {
  const kvmr::test::TempDir dir;
  const std::string img = dir / "z.img";
  sh("truncate -s 10M " + img);
  const FsCheck c = checked(img, "xfs");
  CHECK(c.verdict == FsCheckVerdict::problems);
  CHECK(c.summary == "xfs_repair -n found no valid XFS superblock");
}
