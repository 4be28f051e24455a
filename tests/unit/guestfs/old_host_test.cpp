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
  // The mount code sets kernel_lacks (ENODEV from mount(2), device-mapper
  // missing for an LV in several pieces); the words are for people.
  kvmr::volume::FstabResult r{"/dev/mapper/vmdata-images",
                              "/var/lib/libvirt/images",
                              "xfs",
                              "vmdata/images",
                              "failed",
                              "vmdata/images is an LV in several pieces: mounting it needs "
                              "device-mapper, which this kernel does not have",
                              true};
  CHECK(kernel_lacks_support(r));
  r.detail = "worded in some other way";
  CHECK(kernel_lacks_support(r));
  r.kernel_lacks = false;
  r.detail = "XFS (loop3): Metadata CRC error detected (this kernel has no device-mapper)";
  CHECK_FALSE(kernel_lacks_support(r)); // damage: libguestfs would fail the same way
  r.status = "mounted";
  r.kernel_lacks = true;
  CHECK_FALSE(kernel_lacks_support(r));
  r.status = "unresolved"; // no volume matched: the appliance would find none either
  CHECK_FALSE(kernel_lacks_support(r));
}
