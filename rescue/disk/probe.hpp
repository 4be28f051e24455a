// Probing one disk (block device or image file) into a Disk value, strictly
// read-only, and listing the machine's disks. Never throws for what it finds
// on a disk: an unreadable disk comes back with status error and a reason.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/disk/sysfs.hpp"
#include "rescue/util/command.hpp"

#include <string>
#include <vector>

namespace kvmr::disk {

struct ProbeOptions {
  bool smart = true; // ask smartctl about real block devices
  SysPaths paths;
};

Disk probe_disk(const std::string &path, CommandRunner &runner, const ProbeOptions &opts = {});

std::vector<Disk> probe_disks(const std::vector<std::string> &paths, CommandRunner &runner,
                              const ProbeOptions &opts = {});

} // namespace kvmr::disk
