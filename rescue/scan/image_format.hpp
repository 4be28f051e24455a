// Which disk-image format a file holds, judged from its first bytes the way
// qemu's probing does. Only raw and qcow2 are rescued as they are; the other
// formats qemu knows are recognised so that they are reported as
// "unsupported format X" instead of being mistaken for raw disks.
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

// True for the formats whose backing chains this toolkit can follow
// and copy: raw and qcow2.
bool is_supported(ImageFormat f) noexcept;

} // namespace kvmr::scan
