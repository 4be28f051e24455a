// What the kernel (sysfs) and udev (/run/udev/data, /dev/disk/by-id) know
// about block devices: the list of whole disks and each one's facts.
// Roots are parameters so tests can point them at a made-up tree.
#pragma once

#include "rescue/disk/model.hpp"

#include <string>
#include <vector>

namespace kvmr::disk {

struct SysPaths {
  std::string sys = "/sys";
  std::string dev = "/dev";
  std::string udev_data = "/run/udev/data";
};

// Whole-disk block devices as /dev paths, sorted: every /sys/block entry
// with a non-zero size, except RAM disks (ram*, zram*).
std::vector<std::string> list_block_devices(const SysPaths &paths = {});

// Facts about the block device DEV_PATH (a /dev node). Missing attributes
// stay empty; this never throws for a device that lacks them.
DeviceInfo device_info(const std::string &dev_path, const SysPaths &paths = {});

} // namespace kvmr::disk
