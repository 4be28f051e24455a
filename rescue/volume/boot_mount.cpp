// Mounting /boot read-only to check its files (see boot_mount.hpp).
#include "rescue/volume/boot_mount.hpp"

#include "rescue/disk/boot_diag.hpp"
#include "rescue/disk/boot_files.hpp"
#include "rescue/disk/fat.hpp"
#include "rescue/util/ascii.hpp"
#include "rescue/util/fd.hpp"
#include "rescue/volume/loop.hpp"
#include "rescue/volume/mount.hpp"
#include "rescue/volume/mounted_tree.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>

namespace kvmr::volume {
namespace {

constexpr std::uint64_t kMaxCfgBytes = 4U << 20U;

// The ESP when it holds a FAT filesystem to read grub.cfg from.
const disk::Partition *find_esp(const disk::PartitionTable &t) {
  const disk::Partition *esp = disk::find_esp_partition(t);
  return esp != nullptr && esp->fs.type == "vfat" ? esp : nullptr;
}

// EFI/<vendor>/grub.cfg on the ESP (CentOS: EFI/centos/grub.cfg).
disk::GrubSource esp_grub_cfg(const disk::Disk &d) {
  const disk::Partition *esp = find_esp(d.table);
  if (esp == nullptr) {
    return {};
  }
  try {
    const UniqueFd fd = open_read_only(d.path);
    const disk::fat::FatVolume vol(fd.get(), d.path, esp->start, esp->size);
    if (!vol.exists("/EFI")) {
      return {};
    }
    for (const auto &vendor : vol.list("/EFI")) {
      const std::string p = "/EFI/" + vendor.name + "/grub.cfg";
      if (vendor.is_dir && ascii_lower(vendor.name) != "boot" && vol.exists(p)) {
        const auto bytes = vol.read_file(p, kMaxCfgBytes);
        std::string text(bytes.size(), '\0');
        std::transform(bytes.begin(), bytes.end(), text.begin(),
                       [](std::byte b) { return static_cast<char>(b); });
        return {p.substr(1) + " on the ESP", text};
      }
    }
  } catch (const std::exception &) {
    // The EFI boot loader evidence already says the FAT is damaged.
  }
  return {};
}

void replace_evidence(disk::BootPath &bp, const disk::BootEvidence &ev, const std::string &mode) {
  if (bp.verdict == disk::BootVerdict::not_applicable) {
    return;
  }
  for (auto &e : bp.evidence) {
    if (e.item == disk::kBootFilesItem) {
      e = ev;
    }
  }
  disk::conclude_boot_path(bp, mode);
}

void set_reason(disk::Disk &d, const std::string &why) {
  for (auto *bp : {&d.boot.bios, &d.boot.uefi}) {
    for (auto &e : bp->evidence) {
      if (e.item == disk::kBootFilesItem && e.state == disk::EvidenceState::not_checked) {
        e.detail = why;
      }
    }
  }
}

} // namespace

void read_boot_files(disk::Disk &d, const std::string &run_dir) {
  if (d.status == disk::DiskStatus::error || d.table.type.empty()) {
    return;
  }
  const disk::Partition *boot = disk::find_boot_partition(d.table);
  if (boot == nullptr) {
    set_reason(d, "no separate /boot partition on this disk; `kvm-rescue mount-ro` shows the "
                  "files of a /boot inside the root filesystem");
    return;
  }
  if (::geteuid() != 0) {
    set_reason(d, "mounting /boot read-only needs root");
    return;
  }
  disk::BootEvidence bios_ev;
  disk::BootEvidence uefi_ev;
  try {
    Registry registry(run_dir);
    TempDir dir(run_dir, "boot-");
    registry.add_dir(dir.path());
    LoopDevice loop = LoopDevice::attach_read_only({d.path, boot->start, boot->size});
    registry.add_loop({loop.path(), d.path, boot->start});
    registry.add_mount(dir.path());
    Mount m = Mount::read_only(loop.path(), dir.path(), boot->fs.type);
    {
      MountedTree tree(dir.path());
      const std::string bios_cfg = "/grub2/grub.cfg";
      disk::GrubSource bios_src;
      if (const auto st = tree.lstat(bios_cfg); st && st->type == io::FileType::regular) {
        bios_src = {"grub2/grub.cfg on /boot", tree.read_file(bios_cfg, kMaxCfgBytes)};
      }
      bios_ev = disk::check_boot_files(tree, bios_src);
      const disk::GrubSource esp_src = esp_grub_cfg(d);
      uefi_ev = esp_src.where.empty() && find_esp(d.table) != nullptr
                    ? disk::BootEvidence{disk::kBootFilesItem, disk::EvidenceState::missing,
                                         "no EFI/<vendor>/grub.cfg on the ESP",
                                         "GRUB's UEFI configuration (EFI/*/grub.cfg) is missing"}
                    : disk::check_boot_files(tree, esp_src);
    }
    m.unmount();
    loop.detach();
  } catch (const MountError &e) {
    const disk::BootEvidence ev{disk::kBootFilesItem, disk::EvidenceState::damaged,
                                std::string("the /boot filesystem does not mount read-only: ") +
                                    e.what(),
                                "the /boot filesystem does not mount"};
    bios_ev = ev;
    uefi_ev = ev;
  } catch (const std::exception &e) {
    set_reason(d, std::string("/boot could not be mounted read-only: ") + e.what());
    return;
  }
  replace_evidence(d.boot.bios, bios_ev, "BIOS");
  replace_evidence(d.boot.uefi, uefi_ev, "UEFI");
  std::erase(d.boot.not_checked, std::string(disk::kBootFilesNotRead));
}

} // namespace kvmr::volume
