// Skipping a unit test case because this machine lacks what it needs (root,
// loop devices, device-mapper, a package), never because of what the code
// under test did. A skip is counted as a skip, not as a pass: the driver
// (tests/unit/doctest_main.cpp) prints "SKIP: <test case>: <reason>" for each
// and exits 77, which ctest shows as "Skipped".
//
// A case that can skip names its need as a doctest test suite, and
// tests/CMakeLists.txt registers one ctest entry per need (`test_rescue.root`
// runs `--test-suite=root`), so an entry's cases skip together or not at all:
//   root   root, loop devices and mount (with the tools those cases use)
//   dm     the device-mapper driver (and root)
//   tools  packages scripts/setup installs (qemu-utils, xfsprogs, mtools...)
//   host   what no package gives: the kernel's huge-page mode, TMPDIR on a
//          disk filesystem, / on a block device, pykickstart (not in Debian)
// A skip in a case outside a need suite fails that case.
//
//   TEST_CASE("..." * doctest::test_suite("root")) {
//     KVMR_SKIP_UNLESS(::geteuid() == 0, "mount(2) needs root");
#pragma once

#include <string>

namespace kvmr::test {

// Records that the running test case is skipped because REASON; the caller
// returns right after (a helper returns false and its caller returns).
void skip(const std::string &reason);

} // namespace kvmr::test

// Skips the running test case (and returns from it) unless COND holds.
#define KVMR_SKIP_UNLESS(cond, reason)                                                             \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      ::kvmr::test::skip(reason);                                                                  \
      return;                                                                                      \
    }                                                                                              \
  } while (false)
