// Writing a fresh GPT (libfdisk) and wiping old signatures: the two steps
// of preparing a target that touch the raw disk.
#pragma once

#include "rescue/target/partition_plan.hpp"

#include <cstdint>
#include <string>

namespace kvmr::target {

inline constexpr const char *kLinuxDataType = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
inline constexpr const char *kMsBasicDataType = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";
inline constexpr const char *kDataPartName = "kvm-rescue-data";
inline constexpr const char *kOemdrvPartName = "OEMDRV";

// Opens PATH for writing (exclusively for a block device) and closes it:
// throws SysError naming PATH when it cannot be written.
void check_writable(const std::string &path);

// Zeroes the first and last MiB of the disk and of every partition range
// of PLAN, so no old GPT, PMBR, superblock or PV label survives where the
// new ones go (holes are punched in image files, zeros written on devices).
void wipe_signatures(const std::string &path, const PartitionPlan &plan);

// Writes a new GPT on PATH with PLAN's partitions: 1 = data (Linux
// filesystem, "kvm-rescue-data"), 2 = OEMDRV (Microsoft basic data,
// "OEMDRV") when planned. Block devices are opened O_EXCL (fails while
// mounted or held). Syncs before returning. Throws SysError/InputError.
void write_gpt(const std::string &path, const PartitionPlan &plan);

// Flushes PATH's data to stable storage (fsync) and, for block devices,
// drops its buffer cache (BLKFLSBUF) so later readers see the disk.
void flush_device(const std::string &path);

} // namespace kvmr::target
