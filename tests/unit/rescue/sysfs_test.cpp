// Listing disks from a made-up sysfs tree.
#include "rescue/disk/sysfs.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace kvmr::disk; // NOLINT(google-build-using-namespace)

TEST_CASE("whole disks with a size, no RAM disks, no empty loops") {
  kvmr::test::TempDir t;
  const auto put = [&](const std::string &dev, const std::string &size) {
    std::filesystem::create_directories(t.path() / "sys/block" / dev);
    std::ofstream(t.path() / "sys/block" / dev / "size") << size << "\n";
  };
  put("sda", "1000");
  put("nvme0n1", "2000");
  put("loop0", "0");
  put("loop1", "4096");
  put("ram0", "8192");
  put("zram0", "8192");
  put("sr0", "0");
  SysPaths p{t / "sys", "/dev", t / "udev"};
  const auto disks = list_block_devices(p);
  CHECK(disks == std::vector<std::string>{"/dev/loop1", "/dev/nvme0n1", "/dev/sda"});
}

TEST_CASE("device_info of a regular file is empty") {
  kvmr::test::TempDir t;
  std::ofstream(t / "img") << "x";
  const auto info = device_info(t / "img");
  CHECK_FALSE(info.is_block_device);
  CHECK(info.by_id.empty());
}
