// MountedTree over a plain directory: paths resolve inside it, and
// read_range reads a window of a file without reading all of it.
#include "rescue/util/error.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "tests/unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

using kvmr::volume::MountedTree;

namespace {

void write(const std::string &path, const std::string &data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

} // namespace

TEST_CASE("read_range reads a window and stops at the end of the file") {
  const kvmr::test::TempDir dir;
  write(dir / "var/lib/img.raw", "0123456789");
  MountedTree tree(dir.path().string());
  CHECK(tree.read_range("/var/lib/img.raw", 2, 3) == "234");
  CHECK(tree.read_range("/var/lib/img.raw", 8, 100) == "89");
  CHECK(tree.read_range("/var/lib/img.raw", 10, 4).empty());
  CHECK(tree.read_range("/var/lib/img.raw", 1000, 4).empty());
  CHECK_THROWS_AS(tree.read_range("/var/lib", 0, 4), kvmr::InputError);
}

TEST_CASE("an absolute symlink on the old disk resolves inside the tree") {
  const kvmr::test::TempDir dir;
  write(dir / "etc/libvirt/qemu/web01.xml", "<domain/>");
  std::filesystem::create_directories(dir.path() / "etc/libvirt/qemu/autostart");
  std::filesystem::create_symlink("/etc/libvirt/qemu/web01.xml",
                                  dir.path() / "etc/libvirt/qemu/autostart/web01.xml");
  MountedTree tree(dir.path().string());
  CHECK(tree.read_range("/etc/libvirt/qemu/autostart/web01.xml", 0, 100) == "<domain/>");
  CHECK(tree.readlink("/etc/libvirt/qemu/autostart/web01.xml") == "/etc/libvirt/qemu/web01.xml");
}

TEST_CASE("paths written loosely: repeated and trailing slashes, '.' and '..' stay inside") {
  const kvmr::test::TempDir dir;
  write(dir / "var/lib/libvirt/images/a.img", "0123");
  MountedTree tree(dir.path().string());
  for (const std::string p :
       {"/var/lib/libvirt/images/", "//var/lib//libvirt/./images//", "var/lib/libvirt/images/."}) {
    INFO(p);
    const auto st = tree.lstat(p);
    REQUIRE(st.has_value());
    CHECK(st->type == kvmr::io::FileType::directory);
  }
  CHECK(tree.list("/var/lib/libvirt/images/").size() == 1);
  CHECK(tree.read_range("/var//lib/libvirt/./images/a.img", 0, 2) == "01");
  // ".." never climbs out of the tree: "/.." is the tree's root.
  const auto up = tree.lstat("/..");
  REQUIRE(up.has_value());
  const auto root = tree.lstat("/");
  REQUIRE(root.has_value());
  CHECK(tree.lstat("/../var/lib/libvirt/images/a.img").has_value());
  CHECK(tree.lstat("/var/lib/..").has_value());
  // The trailing "/" is dropped before the lookup, so even a file is found.
  CHECK(tree.lstat("/var/lib/libvirt/images/a.img/")->type == kvmr::io::FileType::regular);
}
