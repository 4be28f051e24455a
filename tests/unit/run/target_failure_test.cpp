// Which errors mean the target itself gave out (the run stops) and which
// belong to one item (the run goes on).
#include "rescue/run/target_failure.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <string>

using kvmr::SysError;
using kvmr::run::is_target_failure;
using kvmr::run::target_error_text;
using kvmr::run::target_failure_advice;

TEST_CASE("target failure: I/O errors, read-only, vanished device, full, under the target root") {
  const std::string root = "/run/kvm-rescue/target-abc";
  for (const int e : {EIO, EROFS, ENODEV, ENXIO, ENOSPC, EDQUOT, ESTALE, ENOTCONN, ESHUTDOWN}) {
    CAPTURE(e);
    CHECK(is_target_failure(SysError(root + "/web01.img.partial", "write", e), root));
    CHECK(is_target_failure(SysError(root + "/kvm-rescue", "create directory", e), root));
    CHECK(is_target_failure(SysError(root, "open", e), root));
    CHECK(is_target_failure(SysError(root + "/x", "write", e), root + "/"));
  }
}

TEST_CASE("target failure: not the source's errors, not an item's own problem") {
  const std::string root = "/run/kvm-rescue/target-abc";
  // The source (the old disk) failing is the bad-sector path, not this.
  CHECK_FALSE(is_target_failure(
      SysError("/run/kvm-rescue/tree-1/var/lib/libvirt/images/a.img", "read", EIO), root));
  // A sibling whose name starts like the root is not under it.
  CHECK_FALSE(is_target_failure(SysError(root + "-other/a.img", "write", EIO), root));
  // One item's problem: the run goes on with the next one.
  CHECK_FALSE(is_target_failure(SysError(root + "/a.img", "open", ENAMETOOLONG), root));
  CHECK_FALSE(is_target_failure(SysError(root + "/a.img", "open", EACCES), root));
  CHECK_FALSE(is_target_failure(SysError(root + "/a.img", "write", EIO), ""));
}

TEST_CASE("target failure: the advice says what happened and to rerun") {
  CHECK(target_failure_advice(ENOSPC).find("full") != std::string::npos);
  CHECK(target_failure_advice(EIO).find("stopped taking writes") != std::string::npos);
  CHECK(target_failure_advice(EIO).find("rerun") != std::string::npos);
}

TEST_CASE("target failure: a private mount point is named as the target the user knows") {
  const std::string root = "/run/kvm-rescue/target-abc";
  const std::string shown = "/dev/sdb's data partition";
  const SysError e(root + "/images/web01.qcow2.partial", "write", EIO);
  const std::string text = target_error_text(e, root, shown);
  CHECK(text == "images/web01.qcow2.partial on /dev/sdb's data partition: write: " +
                    std::string(std::strerror(EIO)));
  CHECK(text.find("/run/kvm-rescue") == std::string::npos);
  CHECK(
      target_error_text(SysError(root, "syncfs", EIO), root, shown).find("the root on /dev/sdb") ==
      0);
  CHECK(
      target_error_text(SysError(root + "/", "open", EROFS), root + "/", shown).find("the root") ==
      0);
  // A directory target is the user's own path; an error elsewhere (the
  // source) keeps its own words.
  CHECK(target_error_text(e, root, "") == std::string(e.what()));
  const SysError src("/run/kvm-rescue/tree-1/a.img", "read", EIO);
  CHECK(target_error_text(src, root, shown) == std::string(src.what()));
  CHECK(target_error_text(SysError(root + "-other/a", "write", EIO), root, shown) ==
        std::string(SysError(root + "-other/a", "write", EIO).what()));
}
