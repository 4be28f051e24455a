// A mount that fails for want of a driver says so in a field, not only in
// its words: the automatic backend choice (access::kernel_lacks_support)
// goes to libguestfs on that field.
#include "rescue/volume/mount.hpp"
#include "test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cerrno>
#include <string>

namespace kvmr {
namespace {

TEST_CASE("a filesystem type this kernel has no driver for: MountError with ENODEV" *
          doctest::test_suite("root")) {
  KVMR_SKIP_UNLESS(::geteuid() == 0, "mount(2) needs root");
  test::TempDir tmp;
  const std::string mnt = tmp / "mnt";
  test::sh("mkdir " + mnt);
  try {
    (void)volume::Mount::read_only("/dev/null", mnt, "kvmrnosuchfs");
    FAIL("mounted a filesystem type that does not exist");
  } catch (const volume::MountError &e) {
    CHECK(e.error_code() == ENODEV);
    CHECK(std::string(e.what()).find("this kernel has no kvmrnosuchfs driver") !=
          std::string::npos);
  }
}

TEST_CASE("a mount refused for what is on the disk is not ENODEV" * doctest::test_suite("root")) {
  KVMR_SKIP_UNLESS(::geteuid() == 0, "mount(2) needs root");
  test::TempDir tmp;
  const std::string mnt = tmp / "mnt";
  const std::string img = tmp / "zeros.img";
  test::sh("mkdir " + mnt + " && truncate -s 16M " + img);
  // ext4 is built in or a module everywhere this runs; a file of zeros
  // is no ext4 (and not a block device: ENOTBLK).
  try {
    (void)volume::Mount::read_only(img, mnt, "ext4");
    FAIL("mounted a file of zeros");
  } catch (const volume::MountError &e) {
    CHECK(e.error_code() != ENODEV);
  }
}

} // namespace
} // namespace kvmr
