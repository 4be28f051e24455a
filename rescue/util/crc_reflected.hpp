// The table-driven, reflected CRC-32 shared by every checksum the project
// verifies: CRC-32C (XFS, ext4; polynomial 0x82F63B78) and the plain CRC-32
// LVM2 uses (0xEDB88320). Raw update only: seeds and final inversion are
// the caller's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kvmr {

template <std::uint32_t Polynomial> class ReflectedCrc32 {
public:
  static std::uint32_t update(std::uint32_t crc, std::span<const std::byte> data) noexcept {
    for (const std::byte b : data) {
      crc = kTable[(crc ^ std::to_integer<std::uint32_t>(b)) & 0xFFU] ^ (crc >> 8U);
    }
    return crc;
  }

private:
  static constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1U) != 0 ? (c >> 1U) ^ Polynomial : c >> 1U;
      }
      t[i] = c;
    }
    return t;
  }
  static constexpr std::array<std::uint32_t, 256> kTable = make_table();
};

} // namespace kvmr
