// CRC-32C (Castagnoli), the checksum of XFS v5 and ext4 metadata.
// Table-driven, no hardware dependency. (LVM2 uses a plain CRC-32 with its
// own seed: rescue/lvm/crc.hpp.)
#pragma once

#include <cstdint>
#include <span>

namespace kvmr {

// The raw update: no inversion on entry or exit. crc32c_update(~0U, ...)
// is what Linux's crc32c() computes (ext4 stores that value as it is).
std::uint32_t crc32c_update(std::uint32_t crc, std::span<const std::byte> data) noexcept;

// The standard CRC-32C (seed ~0, final inversion), as XFS stores it.
std::uint32_t crc32c(std::span<const std::byte> data) noexcept;

} // namespace kvmr
