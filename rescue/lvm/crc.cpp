// LVM2's CRC-32 with its own seed (see crc.hpp).
#include "rescue/lvm/crc.hpp"

#include <array>

namespace kvmr::lvm {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1U) != 0 ? (c >> 1U) ^ 0xEDB88320U : c >> 1U;
    }
    t[i] = c;
  }
  return t;
}

constexpr auto kTable = make_table();

} // namespace

std::uint32_t lvm_crc(std::uint32_t crc, std::span<const std::byte> data) noexcept {
  for (const std::byte b : data) {
    crc = kTable[(crc ^ std::to_integer<std::uint32_t>(b)) & 0xFFU] ^ (crc >> 8U);
  }
  return crc;
}

std::uint32_t lvm_crc(std::span<const std::byte> data) noexcept {
  return lvm_crc(kLvmCrcSeed, data);
}

} // namespace kvmr::lvm
