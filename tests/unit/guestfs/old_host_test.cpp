// Backend names and the rule that sends the automatic choice to libguestfs.
#include "rescue/access/old_host.hpp"
#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

using namespace kvmr::access;

TEST_CASE("backend names round-trip; anything else is refused with the choices") {
  for (const Backend b : {Backend::automatic, Backend::kernel, Backend::guestfs}) {
    CHECK(parse_backend(to_string(b)) == b);
  }
  try {
    (void)parse_backend("fuse");
    FAIL("fuse was accepted");
  } catch (const kvmr::InputError &e) {
    CHECK(std::string(e.what()) == "unknown backend \"fuse\": use auto, kernel or guestfs");
  }
}

TEST_CASE("only a mount the rescue kernel cannot do sends auto to libguestfs") {
  kvmr::volume::FstabResult r{"/dev/mapper/vmdata-images",
                              "/var/lib/libvirt/images",
                              "xfs",
                              "vmdata/images",
                              "failed",
                              "vmdata/images is an LV in several pieces: mounting it needs "
                              "device-mapper, which this kernel does not have"};
  CHECK(kernel_lacks_support(r));
  r.detail = "mount: wrong fs type; unknown filesystem type 'btrfs'";
  CHECK(kernel_lacks_support(r));
  r.detail = "/dev/loop4: mount vfat read-only (ro) on /t/boot/efi: No such device (this kernel "
             "has no vfat driver)";
  CHECK(kernel_lacks_support(r));
  r.detail = "XFS (loop3): Metadata CRC error detected";
  CHECK_FALSE(kernel_lacks_support(r)); // damage: libguestfs would fail the same way
  r.status = "mounted";
  r.detail = "device-mapper";
  CHECK_FALSE(kernel_lacks_support(r));
}
