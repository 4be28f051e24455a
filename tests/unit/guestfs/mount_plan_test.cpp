// GuestfsTree's pure mount decisions: fstab spec resolution against the
// appliance's filesystems, mount order, read-only option fallbacks and
// libguestfs' file types.
#include "rescue/guestfs/mount_plan.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

using namespace kvmr::guestfs; // NOLINT(google-build-using-namespace)
using kvmr::io::FileType;
using kvmr::volume::FstabEntry;

namespace {

// The appliance's view of the images-vg fixture (plus a dashed VG).
std::vector<Filesystem> fixture_filesystems() {
  return {
      {"/dev/sda1", "unknown", "", "", "4b564d52-0000-4000-8000-0000000000b1"},
      {"/dev/sda2", "vfat", "4B56-4D52", "", "4b564d52-0000-4000-8000-0000000000e5"},
      {"/dev/sda3", "xfs", "5b0e7a11-0000-4000-8000-00000000b007", "",
       "4b564d52-0000-4000-8000-0000000000b0"},
      {"/dev/centos/root", "xfs", "5b0e7a11-0000-4000-8000-0000000000a1", "", ""},
      {"/dev/centos/swap", "swap", "5b0e7a11-0000-4000-8000-0000000005a9", "", ""},
      {"/dev/vmdata/images", "xfs", "5b0e7a11-0000-4000-8000-00000000da7a", "vmimages", ""},
      {"/dev/my-vg/lv-x", "ext4", "", "data", ""},
  };
}

std::string resolve(const std::string &spec) {
  return resolve_spec(spec, fixture_filesystems()).device;
}

FstabEntry entry(const std::string &mountpoint) {
  FstabEntry e;
  e.spec = "LABEL=x";
  e.mountpoint = mountpoint;
  e.fstype = "xfs";
  return e;
}

} // namespace

TEST_CASE("fstab specs resolve to the appliance's devices") {
  CHECK(resolve("/dev/mapper/centos-root") == "/dev/centos/root");
  CHECK(resolve("/dev/centos/root") == "/dev/centos/root");
  CHECK(resolve("/dev/mapper/vmdata-images") == "/dev/vmdata/images");
  CHECK(resolve("/dev/mapper/my--vg-lv--x") == "/dev/my-vg/lv-x");
  CHECK(resolve("UUID=5b0e7a11-0000-4000-8000-00000000b007") == "/dev/sda3");
  CHECK(resolve("UUID=5B0E7A11-0000-4000-8000-00000000B007") == "/dev/sda3");
  CHECK(resolve("/dev/disk/by-uuid/5b0e7a11-0000-4000-8000-00000000da7a") == "/dev/vmdata/images");
  CHECK(resolve("LABEL=vmimages") == "/dev/vmdata/images");
  CHECK(resolve("/dev/disk/by-label/data") == "/dev/my-vg/lv-x");
  CHECK(resolve("PARTUUID=4B564D52-0000-4000-8000-0000000000B0") == "/dev/sda3");
}

TEST_CASE("vfat UUIDs match whatever their case") {
  CHECK(resolve("UUID=4B56-4D52") == "/dev/sda2");
  CHECK(resolve("UUID=4b56-4d52") == "/dev/sda2");
}

TEST_CASE("a spec naming nothing on the source disks is unresolved, with the reason") {
  const auto r = resolve_spec("UUID=0000-0000", fixture_filesystems());
  CHECK(r.device.empty());
  CHECK(r.reason.find("UUID 0000-0000") != std::string::npos);
  CHECK(resolve("/dev/mapper/centos-home").empty());
  CHECK(resolve("LABEL=VMIMAGES").empty()); // labels are case-sensitive
  CHECK(resolve_spec("server:/export", fixture_filesystems()).reason.find("cannot tell") !=
        std::string::npos);
}

TEST_CASE("a spec matching two filesystems is refused as ambiguous") {
  auto fss = fixture_filesystems();
  fss.push_back({"/dev/sdb3", "xfs", "5b0e7a11-0000-4000-8000-00000000b007", "", ""});
  const auto r = resolve_spec("UUID=5b0e7a11-0000-4000-8000-00000000b007", fss);
  CHECK(r.device.empty());
  CHECK(r.reason.find("ambiguous") != std::string::npos);
  CHECK(r.reason.find("/dev/sdb3") != std::string::npos);
}

TEST_CASE("a kernel device name resolves only by name, with a caveat") {
  const auto r = resolve_spec("/dev/sda3", fixture_filesystems());
  CHECK(r.device == "/dev/sda3");
  CHECK_FALSE(r.reason.empty());
  CHECK(resolve("/dev/sdc1").empty());
}

TEST_CASE("parents are mounted before their children, otherwise in file order") {
  const std::vector<FstabEntry> entries{entry("/var/lib/libvirt/images"),
                                        entry("/boot/efi"),
                                        entry("/"),
                                        entry("/boot"),
                                        entry("/var"),
                                        entry("/home")};
  const auto order = mount_order(entries);
  REQUIRE(order.size() == entries.size());
  std::vector<std::string> got;
  got.reserve(order.size());
  for (const auto i : order) {
    got.push_back(entries[i].mountpoint);
  }
  CHECK(got == std::vector<std::string>{"/", "/boot", "/var", "/home", "/boot/efi",
                                        "/var/lib/libvirt/images"});
}

TEST_CASE("the appliance's device names: partitions of a disk, LVs") {
  CHECK(is_partition_of("/dev/sda3", "/dev/sda"));
  CHECK(is_partition_of("/dev/sdb12", "/dev/sdb"));
  CHECK_FALSE(is_partition_of("/dev/sda", "/dev/sda"));
  CHECK_FALSE(is_partition_of("/dev/sdaa1", "/dev/sda"));
  CHECK_FALSE(is_partition_of("/dev/sdb1", "/dev/sda"));
  CHECK(is_lv_device("/dev/centos/root"));
  CHECK(is_lv_device("/dev/my-vg/lv-x"));
  CHECK_FALSE(is_lv_device("/dev/sda3"));
  CHECK_FALSE(is_lv_device("/dev/sda"));
}

TEST_CASE("path depth counts components") {
  CHECK(path_depth("/") == 0);
  CHECK(path_depth("/var") == 1);
  CHECK(path_depth("/var//lib/") == 2);
  CHECK(path_depth("/var/lib/libvirt/images") == 4);
}

TEST_CASE("journaled filesystems get a no-replay fallback, all attempts read-only") {
  CHECK(ro_mount_attempts("xfs") == std::vector<std::string>{"ro", "ro,norecovery"});
  CHECK(ro_mount_attempts("ext4") == std::vector<std::string>{"ro", "ro,noload"});
  CHECK(ro_mount_attempts("ext3") == std::vector<std::string>{"ro", "ro,noload"});
  CHECK(ro_mount_attempts("vfat") == std::vector<std::string>{"ro"});
  for (const char *t : {"xfs", "ext4", "vfat", "btrfs", ""}) {
    for (const auto &o : ro_mount_attempts(t)) {
      CHECK(o.rfind("ro", 0) == 0);
    }
  }
}

TEST_CASE("file types from st_mode and from readdir's letters") {
  CHECK(file_type_of_mode(S_IFREG | 0644) == FileType::regular);
  CHECK(file_type_of_mode(S_IFDIR | 0755) == FileType::directory);
  CHECK(file_type_of_mode(S_IFLNK | 0777) == FileType::symlink);
  CHECK(file_type_of_mode(S_IFBLK | 0660) == FileType::block_device);
  CHECK(file_type_of_mode(S_IFIFO | 0600) == FileType::other);
  CHECK(file_type_of_ftyp('r') == FileType::regular);
  CHECK(file_type_of_ftyp('d') == FileType::directory);
  CHECK(file_type_of_ftyp('l') == FileType::symlink);
  CHECK(file_type_of_ftyp('b') == FileType::block_device);
  CHECK(file_type_of_ftyp('f') == FileType::other); // a FIFO, not a file
  CHECK(file_type_of_ftyp('?') == FileType::other);
}
