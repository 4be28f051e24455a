// The files a boot loader loads from /boot: the kernels and initramfs images
// that grub.cfg (or its BootLoaderSpec entries) names, checked on the /boot
// filesystem read through a io::SourceTree. Pure over its inputs: the
// caller mounts /boot read-only (volume/boot_mount) and hands in the text of
// the grub.cfg the boot path reads.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/io/source_tree.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kvmr::disk {

inline constexpr const char *kBootFilesItem = "/boot files";
// The not-checked line the raw-disk diagnosis leaves until /boot is read.
inline constexpr const char *kBootFilesNotRead =
    "grub.cfg, kernels and initramfs images on /boot (read when /boot is mounted read-only)";

struct BootEntry {
  std::string title;
  std::string kernel;               // as written: "/vmlinuz-3.10.0-1160.el7.x86_64"
  std::vector<std::string> initrds; // as written
};

struct GrubConfig {
  std::vector<BootEntry> entries; // menu order: the first is the default on CentOS 7
  bool uses_bls = false;          // "blscfg": entries live in /loader/entries (EL8+)
  bool chains_elsewhere = false;  // an ESP stub that only runs `configfile` (EL9)
};

// Reads menuentry blocks: their title and linux/linux16/linuxefi and
// initrd/initrd16/initrdefi lines. Never throws; unknown lines are skipped.
GrubConfig parse_grub_cfg(std::string_view text);

// One BootLoaderSpec entry (/boot/loader/entries/*.conf).
BootEntry parse_bls_entry(std::string_view text);

// Where the grub.cfg came from and its text; WHERE empty when none was found.
struct GrubSource {
  std::string where; // "grub2/grub.cfg on /boot", "EFI/centos/grub.cfg on the ESP"
  std::string text;
};

// The evidence item kBootFilesItem for one boot path: the default entry's
// kernel and initramfs must exist, be non-empty and look like what they
// claim (bzImage "HdrS", cpio or a compressor's magic). BOOT is the /boot
// filesystem's root. When CFG names no entries, BLS entries or the grub2
// grub.cfg on BOOT are read instead.
BootEvidence check_boot_files(io::SourceTree &boot, const GrubSource &cfg);

// Re-computes BP's verdict and summary from its evidence (MODE: "BIOS").
void conclude_boot_path(BootPath &bp, const std::string &mode);

} // namespace kvmr::disk
