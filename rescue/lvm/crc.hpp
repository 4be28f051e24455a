// The checksum LVM2 puts on its label, metadata area header and metadata
// text (lib/misc/crc.c, calc_crc): the plain reflected CRC-32 polynomial
// 0xEDB88320 (not CRC-32C), started from LVM's seed, with no final xor.
#pragma once

#include <cstdint>
#include <span>

namespace kvmr::lvm {

// LVM's INITIAL_CRC.
inline constexpr std::uint32_t kLvmCrcSeed = 0xf597a6cfU;

// Continues CRC over DATA; lvm_crc(lvm_crc(s, a), b) == lvm_crc(s, a+b),
// which is how a metadata text that wraps around its area is checked.
std::uint32_t lvm_crc(std::uint32_t crc, std::span<const std::byte> data) noexcept;

// lvm_crc(kLvmCrcSeed, DATA).
std::uint32_t lvm_crc(std::span<const std::byte> data) noexcept;

} // namespace kvmr::lvm
