#include "rescue/scan/host_path.hpp"

#include <doctest/doctest.h>

using namespace kvmr::scan;

TEST_CASE("normalize folds ., .. and repeated slashes lexically") {
  CHECK(normalize("/a//b/./c/../d/") == "/a/b/d");
  CHECK(normalize("/../../etc") == "/etc");
  CHECK(normalize("a/../b") == "b");
  CHECK(normalize("../x") == "../x");
  CHECK(normalize("") == ".");
  CHECK(normalize("/") == "/");
}

TEST_CASE("dirname, basename and resolve follow the kernel's rules") {
  CHECK(dirname("/var/lib/libvirt/images/web01.img") == "/var/lib/libvirt/images");
  CHECK(dirname("/web01.img") == "/");
  CHECK(dirname("web01.img") == ".");
  CHECK(basename("/var/lib/libvirt/images/web01.img") == "web01.img");
  CHECK(resolve("/var/lib/libvirt/images", "base.qcow2") == "/var/lib/libvirt/images/base.qcow2");
  CHECK(resolve("/var/lib/libvirt/images", "../base/b.qcow2") == "/var/lib/libvirt/base/b.qcow2");
  CHECK(resolve("/var/lib/libvirt/images", "/srv/b.qcow2") == "/srv/b.qcow2");
}

TEST_CASE("is_under compares whole components") {
  CHECK(is_under("/var/lib/libvirt/images/a.img", "/var/lib/libvirt/images"));
  CHECK(is_under("/var/lib/libvirt/images", "/var/lib/libvirt/images/"));
  CHECK_FALSE(is_under("/var/lib/libvirt/images2/a.img", "/var/lib/libvirt/images"));
  CHECK(is_under("/x", "/"));
}
