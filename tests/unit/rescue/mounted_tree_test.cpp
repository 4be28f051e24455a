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
