// Why a disk does or does not boot, separately for the BIOS and the UEFI
// path, with the evidence in plain words. Reads only the raw device: boot
// code, the BIOS-boot partition or the gap after the MBR, and what the
// probe found in the partitions. Files inside filesystems are listed as not
// checked until the read-only volume layer exists.
#pragma once

#include "rescue/disk/model.hpp"

#include <string>

namespace kvmr::disk {

inline constexpr const char *kGptBiosBoot = "21686148-6449-6e6f-744e-656564454649";
inline constexpr const char *kGptEsp = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
inline constexpr const char *kGptLinuxFs = "0fc63daf-8483-4772-8e79-3d69d8477de4";
inline constexpr const char *kGptXbootldr = "bc13c2ff-59e6-4262-a352-b275fd6f7172";

// DISK must already carry its table and probed filesystems.
BootDiagnosis diagnose_boot(int fd, const std::string &path, const Disk &disk);

// The EFI system partition (GPT type or MBR id 0xef), or nullptr.
const Partition *find_esp_partition(const PartitionTable &t);

// The partition that most likely holds /boot, or nullptr.
const Partition *find_boot_partition(const PartitionTable &t);

} // namespace kvmr::disk
