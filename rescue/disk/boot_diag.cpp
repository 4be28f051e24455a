// Boot diagnosis from the raw device (see boot_diag.hpp).
#include "rescue/disk/boot_diag.hpp"

#include "rescue/disk/boot_files.hpp"
#include "rescue/disk/fat.hpp"
#include "rescue/disk/mbr.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

namespace kvmr::disk {
namespace {

constexpr std::uint64_t kSector = 512;
constexpr std::uint64_t kMaxBootSize = 4ULL << 30U;

bool is_linux_fs(const std::string &type) {
  return type == "xfs" || type == "ext2" || type == "ext3" || type == "ext4";
}

const Partition *find_by_type(const PartitionTable &t, const std::string &gpt,
                              const std::string &dos) {
  for (const auto &p : t.partitions) {
    if (p.type_code == (t.type == "gpt" ? gpt : dos)) {
      return &p;
    }
  }
  return nullptr;
}

BootEvidence mbr_evidence(const Mbr &mbr) {
  if (!mbr.signature) {
    return {"MBR boot code", EvidenceState::missing,
            "sector 0 has no 0x55AA boot signature: the BIOS will not start it",
            "sector 0 has no boot signature"};
  }
  switch (mbr.boot_code) {
  case BootCode::zeroed:
    return {"MBR boot code", EvidenceState::missing,
            "the first 440 bytes of sector 0 are all zero: there is no boot "
            "loader for the BIOS to start",
            "the MBR boot code is all zero"};
  case BootCode::grub2:
    return {"MBR boot code", EvidenceState::ok, "GRUB 2 boot.img is in place", ""};
  case BootCode::other:
    return {"MBR boot code", EvidenceState::ok, "boot code is present (not GRUB 2's boot.img)", ""};
  }
  return {};
}

// WHERE names the place in a sentence: "BIOS boot partition 1".
BootEvidence core_evidence(const std::string &item, const std::string &where, Bytes first_sector) {
  if (all_zero(first_sector)) {
    return {item, EvidenceState::missing, "all zero: GRUB's core image (core.img) is gone",
            "GRUB's core image is gone from " + where};
  }
  if (looks_like_grub_core(first_sector)) {
    return {item, EvidenceState::ok, "holds GRUB 2's core image", ""};
  }
  return {item, EvidenceState::damaged, "holds something that is not GRUB 2's core image",
          "GRUB's core image in " + where + " is not intact"};
}

BootEvidence grub_core_evidence(int fd, const std::string &path, const PartitionTable &t) {
  if (t.type == "gpt") {
    const Partition *bb = find_by_type(t, kGptBiosBoot, "");
    if (bb == nullptr) {
      return {"BIOS boot partition", EvidenceState::missing,
              "GRUB 2 on a GPT disk needs one to boot from BIOS; there is none",
              "there is no BIOS boot partition for GRUB's core image"};
    }
    const std::string item = fmt::format("BIOS boot partition {}", bb->number);
    return core_evidence(item, item, read_bytes(fd, path, bb->start, kSector));
  }
  const std::uint64_t first_start =
      t.partitions.empty() ? 0
                           : std::min_element(t.partitions.begin(), t.partitions.end(),
                                              [](const Partition &a, const Partition &b) {
                                                return a.start < b.start;
                                              })
                                 ->start;
  if (first_start < 2 * kSector) {
    return {"gap after the MBR", EvidenceState::missing,
            "the first partition starts right after the MBR: no room for GRUB",
            "there is no room after the MBR for GRUB's core image"};
  }
  return core_evidence("gap after the MBR", "the gap after the MBR",
                       read_bytes(fd, path, kSector, kSector));
}

BootEvidence boot_fs_evidence(const Partition *boot) {
  if (boot == nullptr) {
    return {"/boot filesystem", EvidenceState::missing,
            "no partition looks like /boot (a small XFS or ext filesystem)",
            "no /boot filesystem was found"};
  }
  const std::string item = fmt::format("/boot filesystem (partition {})", boot->number);
  if (boot->fs.checksum == ChecksumVerdict::bad) {
    return {item, EvidenceState::damaged,
            fmt::format("{} superblock is damaged: {}", boot->fs.type, boot->fs.checksum_detail),
            fmt::format("the /boot {} superblock (partition {}) is damaged", boot->fs.type,
                        boot->number)};
  }
  return {item, EvidenceState::ok,
          fmt::format("{} superblock is sound ({})", boot->fs.type, boot->fs.checksum_detail), ""};
}

// The boot loaders on the ESP, read with our own FAT reader (no vfat
// driver needed): EFI/<vendor>/shimx64.efi or grubx64.efi, or the fallback
// EFI/BOOT/BOOTX64.EFI.
BootEvidence efi_loader_evidence(int fd, const std::string &path, const Partition &esp) {
  const std::string item = "EFI boot loader";
  try {
    const fat::FatVolume vol(fd, path, esp.start, esp.size);
    if (!vol.exists("/EFI")) {
      return {item, EvidenceState::missing, "the ESP has no EFI directory",
              "the EFI system partition holds no EFI directory"};
    }
    std::vector<std::string> found;
    for (const auto &vendor : vol.list("/EFI")) {
      if (!vendor.is_dir) {
        continue;
      }
      for (const char *f : {"shimx64.efi", "grubx64.efi", "BOOTX64.EFI"}) {
        const std::string p = "/EFI/" + vendor.name + "/" + f;
        if (vol.exists(p)) {
          found.push_back(p.substr(1));
        }
      }
    }
    if (found.empty()) {
      return {item, EvidenceState::missing,
              "no shimx64.efi, grubx64.efi or BOOTX64.EFI under EFI/ on the ESP",
              "no EFI boot loader is on the EFI system partition"};
    }
    return {item, EvidenceState::ok, fmt::format("found {}", fmt::join(found, ", ")), ""};
  } catch (const std::exception &e) {
    return {item, EvidenceState::damaged, std::string("the ESP's FAT cannot be read: ") + e.what(),
            "the EFI system partition's FAT filesystem is damaged"};
  }
}

BootEvidence not_checked(const std::string &item, const std::string &why) {
  return {item, EvidenceState::not_checked, why, ""};
}

BootPath bios_path(int fd, const std::string &path, const Disk &disk, const Partition *boot) {
  BootPath bp;
  bp.evidence.push_back(mbr_evidence(parse_mbr(read_bytes(fd, path, 0, kSector))));
  bp.evidence.push_back(grub_core_evidence(fd, path, disk.table));
  bp.evidence.push_back(boot_fs_evidence(boot));
  bp.evidence.push_back(not_checked(kBootFilesItem, kBootFilesNotRead));
  conclude_boot_path(bp, "BIOS");
  return bp;
}

BootPath uefi_path(int fd, const std::string &path, const Disk &disk, const Partition *boot) {
  BootPath bp;
  const Partition *esp = find_esp_partition(disk.table);
  if (esp == nullptr) {
    bp.verdict = BootVerdict::not_applicable;
    bp.summary = "No EFI system partition: this system was installed to boot "
                 "in BIOS mode.";
    bp.evidence.push_back(
        {"EFI system partition", EvidenceState::missing, "none on this disk", "there is no ESP"});
    return bp;
  }
  const std::string item = fmt::format("EFI system partition {}", esp->number);
  if (esp->fs.type == "vfat") {
    bp.evidence.push_back({item, EvidenceState::ok, "holds a FAT filesystem", ""});
  } else if (esp->state == PartitionState::empty) {
    bp.evidence.push_back({item, EvidenceState::missing,
                           "all zero where a FAT filesystem should start",
                           "the EFI system partition is empty"});
  } else {
    bp.evidence.push_back({item, EvidenceState::damaged, "no FAT filesystem found on it",
                           "the EFI system partition holds no FAT filesystem"});
  }
  if (esp->fs.type == "vfat") {
    bp.evidence.push_back(efi_loader_evidence(fd, path, *esp));
  } else {
    bp.evidence.push_back(
        not_checked("EFI boot loader", "there is no FAT filesystem to read it from"));
  }
  bp.evidence.push_back(boot_fs_evidence(boot));
  bp.evidence.push_back(not_checked(kBootFilesItem, kBootFilesNotRead));
  conclude_boot_path(bp, "UEFI");
  return bp;
}

} // namespace

const Partition *find_esp_partition(const PartitionTable &t) {
  return find_by_type(t, kGptEsp, "0xef");
}

const Partition *find_boot_partition(const PartitionTable &t) {
  const Partition *fallback = nullptr;
  for (const auto &p : t.partitions) {
    const bool linux_fs = is_linux_fs(p.fs.type);
    if (!linux_fs || p.size > kMaxBootSize) {
      continue;
    }
    if (t.type == "gpt" && (p.type_code == kGptLinuxFs || p.type_code == kGptXbootldr)) {
      return &p;
    }
    if (t.type == "dos" && p.bootable) {
      return &p;
    }
    if (fallback == nullptr) {
      fallback = &p;
    }
  }
  return fallback;
}

BootDiagnosis diagnose_boot(int fd, const std::string &path, const Disk &disk) {
  BootDiagnosis d;
  if (disk.table.type.empty()) {
    const std::string why = disk.status == DiskStatus::blank
                                ? "The disk is blank."
                                : "There is no partition table to boot from.";
    d.bios = {BootVerdict::not_applicable, why, {}};
    d.uefi = {BootVerdict::not_applicable, why, {}};
    return d;
  }
  const Partition *boot = find_boot_partition(disk.table);
  try {
    d.bios = bios_path(fd, path, disk, boot);
  } catch (const std::exception &e) {
    d.bios = {BootVerdict::unknown, std::string("Could not read the boot area: ") + e.what(), {}};
  }
  d.uefi = uefi_path(fd, path, disk, boot);
  d.not_checked = {
      kBootFilesNotRead,
      "the firmware's boot order and its UEFI boot entries",
  };
  return d;
}

} // namespace kvmr::disk
