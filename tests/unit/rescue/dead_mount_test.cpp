// A filesystem that stops answering (shut down, its disk gone) must still
// be found as a mount point and unmounted: the copy's target mount was
// left behind when stat() of its root failed with EIO.
#include "rescue/volume/loop.hpp"
#include "rescue/volume/mount.hpp"
#include "test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace kvmr {
namespace {

using test::have;
using test::sh;

TEST_CASE("a shut-down XFS is still a mount point and is unmounted" * doctest::test_suite("root")) {
  KVMR_SKIP_UNLESS(::geteuid() == 0, "needs root to mount");
  KVMR_SKIP_UNLESS(have("mkfs.xfs") && have("xfs_io"),
                   "mkfs.xfs or xfs_io not installed (scripts/setup installs xfsprogs)");
  test::TempDir tmp;
  const std::string img = tmp / "dead.xfs";
  const std::string mnt = tmp / "mnt";
  sh("truncate -s 300M " + img + " && mkfs.xfs -q " + img + " && mkdir " + mnt);
  volume::LoopDevice loop = volume::LoopDevice::attach_read_write({img, 0, 0});
  sh("mount " + loop.path() + " " + mnt);
  sh("xfs_io -x -c shutdown " + mnt);
  struct stat st {};
  REQUIRE(::stat(mnt.c_str(), &st) != 0); // the dead filesystem's root
  CHECK(errno == EIO);

  CHECK(volume::is_mount_point(mnt));
  CHECK(volume::is_mount_point(mnt + "/"));
  CHECK(volume::unmount_if_mounted(mnt));
  CHECK_FALSE(volume::is_mount_point(mnt));
}

TEST_CASE("a mount point with a space and a backslash is found (mountinfo escapes them)" *
          doctest::test_suite("root")) {
  KVMR_SKIP_UNLESS(::geteuid() == 0, "needs root to mount");
  test::TempDir tmp;
  const std::string mnt = tmp / "VM images \\ old";
  std::filesystem::create_directory(mnt);
  REQUIRE(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") == 0);
  CHECK(volume::is_mount_point(mnt));
  CHECK(volume::unmount_if_mounted(mnt));
  CHECK_FALSE(volume::is_mount_point(mnt));
}

TEST_CASE("mount_path_of resolves the parent, not the path itself") {
  test::TempDir tmp;
  std::filesystem::create_directories(tmp / "real/dir");
  std::filesystem::create_directory_symlink(tmp / "real", tmp / "link");
  CHECK(volume::mount_path_of(tmp / "link/dir") ==
        std::filesystem::canonical(tmp / "real/dir").string());
  CHECK(volume::mount_path_of(tmp / "link/dir/") ==
        std::filesystem::canonical(tmp / "real/dir").string());
  CHECK(volume::mount_path_of(tmp / "link/gone") ==
        (std::filesystem::canonical(tmp / "real") / "gone").string());
  // A symbolic link as the last part is followed (it is not a mount root).
  CHECK(volume::mount_path_of(tmp / "link") == std::filesystem::canonical(tmp / "real").string());
}

} // namespace
} // namespace kvmr
