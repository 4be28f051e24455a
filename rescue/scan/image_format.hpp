// Which disk-image format a file holds, judged from its first bytes the way
// qemu's probing does. Every format qemu-img opens is rescued; LUKS (a raw
// LUKS volume, which needs its secret to open) is recognised so that it is
// reported instead of being mistaken for a raw disk.
#pragma once

#include "rescue/util/bytes.hpp"

#include <optional>
#include <string_view>

namespace kvmr::scan {

enum class ImageFormat {
  raw,       // anything not recognised
  qcow2,     // "QFI\xfb", version other than 1 (the header parser judges it)
  qcow,      // "QFI\xfb", version 1
  qed,       // "QED\0"
  vmdk,      // "KDMV", "COWD" or a "# Disk DescriptorFile" text descriptor
  vdi,       // VirtualBox: 0xbeda107f at offset 64
  vhdx,      // "vhdxfile"
  vpc,       // dynamic VHD: "conectix"
  luks,      // "LUKS\xba\xbe"
  parallels, // "WithoutFreeSpace" / "WithouFreSpacExt"
};

// How many leading bytes sniff_format looks at (fewer are fine).
inline constexpr std::size_t sniff_length = 512;

// The format of a file starting with HEAD (its first bytes).
ImageFormat sniff_format(Bytes head) noexcept;

// qemu's and libvirt's name of the format: "raw", "qcow2", "vpc", ...
std::string_view format_name(ImageFormat f) noexcept;

// The format a name declares ("qcow2", "RAW", "iso" is raw, "vhd" is vpc);
// nullopt for a name this toolkit does not know.
std::optional<ImageFormat> parse_format_name(std::string_view name);

// True for the formats whose backing chains and extents this toolkit
// follows and copies: every one but luks.
bool is_supported(ImageFormat f) noexcept;

// True for the formats EL's qemu-kvm opens read-only only (vmdk, vhdx, vpc,
// parallels, qed, vdi, qcow): a VM whose disk is in one would not start on
// an EL host, so the plan converts such a disk to qcow2 for EL.
bool is_read_only_on_el(ImageFormat f) noexcept;

} // namespace kvmr::scan
