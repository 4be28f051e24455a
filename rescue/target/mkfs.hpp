// The mkfs command lines of a prepared target, and running them.
//
// XFS for CentOS 7 (el7_compatible): CentOS 7's kernel (3.10) cannot mount
// an XFS made with today's defaults (it was tried), so the v5 features it lacks
// are switched off: -m crc=1,finobt=0,rmapbt=0,reflink=0,bigtime=0,
// inobtcount=0 -i sparse=0 -n ftype=1.
//
// ext4 for CentOS 7: its e2fsprogs 1.42.9 (fsck at boot) refuses features
// newer than itself, and its kernel predates some: metadata_csum and
// metadata_csum_seed (e2fsprogs 1.43), orphan_file (1.47) are switched off,
// uninit_bg (the checksum 1.42 knows) on; 64bit, flex_bg, huge_file,
// dir_nlink, extra_isize are known to both and stay.
#pragma once

#include "rescue/target/target.hpp"
#include "rescue/util/command.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::target {

// mkfs argv for LAYOUT's data filesystem on block device DEV.
std::vector<std::string> data_mkfs_argv(const std::string &dev, const Layout &layout);

// mkfs.vfat argv for the OEMDRV filesystem inside PATH at byte OFFSET,
// SIZE bytes, on a disk of SECTOR_SIZE-byte sectors.
std::vector<std::string> oemdrv_mkfs_argv(const std::string &path, std::uint64_t offset,
                                          std::uint64_t size, unsigned sector_size);

// Runs ARGV; throws InputError with the tool's own words when it fails.
void run_tool(CommandRunner &runner, const std::vector<std::string> &argv, const std::string &what);

} // namespace kvmr::target
