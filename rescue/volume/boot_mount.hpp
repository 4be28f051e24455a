// Reads the files the boot loader loads (see disk/boot_files.hpp) for a
// probed disk: its /boot partition is attached to a read-only loop device
// and mounted read-only without log replay in a private directory, recorded
// in the run registry (so a killed run is cleaned up by the next one), and
// released before returning. The ESP's grub.cfg is read with the project's
// FAT reader. Updates the "/boot files" evidence and both verdicts.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/volume/registry.hpp"

#include <string>

namespace kvmr::volume {

// DISK must be probed (table, filesystems, boot diagnosis). Without root,
// or without a separate /boot partition, the evidence stays not_checked
// with the reason. Never throws for a damaged /boot: that is evidence.
void read_boot_files(disk::Disk &disk, const std::string &run_dir = kRunDir);

} // namespace kvmr::volume
