#include "rescue/scan/host_path.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

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

namespace {

void put_file(const std::filesystem::path &p, const std::string &data) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

void put_link(const std::string &target, const std::filesystem::path &p) {
  std::filesystem::create_directories(p.parent_path());
  std::filesystem::create_symlink(target, p);
}

} // namespace

TEST_CASE("resolve_in_root follows every symlink inside the old root") {
  const kvmr::test::TempDir dir;
  const auto &d = dir.path();
  put_file(d / "home/images/web01.img", "web");
  put_file(d / "home/images2/x.qcow2", "xx");
  put_link("/home/images", d / "var/lib/libvirt/images");            // absolute, a directory
  put_link("/home/images2/x.qcow2", d / "home/images/x.qcow2");      // absolute, a file
  put_link("../images2/x.qcow2", d / "home/images/rel.qcow2");       // relative
  put_link("../../../../../../home/images2/x.qcow2", d / "home/up"); // ".." stops at the root
  put_link("/var/lib/libvirt/images/..", d / "home/dotdot");         // ".." after a link
  put_link("loop-b", d / "home/loop-a");
  put_link("loop-a", d / "home/loop-b");
  kvmr::volume::MountedTree tree(d.string());

  auto r = resolve_in_root(tree, "/var/lib/libvirt/images/web01.img");
  CHECK(r.path == "/home/images/web01.img");
  REQUIRE(r.stat.has_value());
  CHECK(r.stat->type == kvmr::io::FileType::regular);
  CHECK(r.stat->size == 3);
  CHECK(resolve_in_root(tree, "/var/lib/libvirt/images/x.qcow2").path == "/home/images2/x.qcow2");
  CHECK(resolve_in_root(tree, "//var/lib/libvirt/./images/rel.qcow2").path ==
        "/home/images2/x.qcow2");
  CHECK(resolve_in_root(tree, "/home/up").path == "/home/images2/x.qcow2");
  // The kernel's "..": after the link, so /var/lib/libvirt/images/.. is /home.
  CHECK(resolve_in_root(tree, "/home/dotdot").path == "/home");
  CHECK(resolve_in_root(tree, "/var/lib/libvirt/images/../images2/x.qcow2").stat.has_value());
  CHECK(resolve_in_root(tree, "/var/lib/libvirt/images/").path == "/home/images");
  CHECK(resolve_in_root(tree, "/").path == "/");

  const auto missing = resolve_in_root(tree, "/var/lib/libvirt/images/gone.img");
  CHECK_FALSE(missing.stat.has_value());
  CHECK(missing.path == "/home/images/gone.img");
  CHECK(missing.problem.find("/var/lib/libvirt/images/gone.img: leads to /home/images/gone.img") ==
        0);
  const auto loop = resolve_in_root(tree, "/home/loop-a");
  CHECK_FALSE(loop.stat.has_value());
  CHECK(loop.problem.find("too many levels") != std::string::npos);
  const auto notdir = resolve_in_root(tree, "/home/images/web01.img/x");
  CHECK_FALSE(notdir.stat.has_value());
  CHECK(notdir.problem.find("not a directory") != std::string::npos);
}

TEST_CASE("resolve_in_root never reaches this machine's files") {
  // An absolute link to a file this machine has and the old root has not.
  const kvmr::test::TempDir dir;
  const auto here = dir / "outside.img";
  put_file(here, "this machine's");
  put_file(dir.path() / "root/etc/hostname", "old");
  put_link(here, dir.path() / "root/var/lib/libvirt/images/escape.img");
  kvmr::volume::MountedTree tree((dir.path() / "root").string());
  const auto r = resolve_in_root(tree, "/var/lib/libvirt/images/escape.img");
  CHECK_FALSE(r.stat.has_value());
  CHECK(r.path == here); // the same path, looked up inside the old root
  CHECK(r.problem.find("which does not exist") != std::string::npos);
}
