// CRC-32C, reflected polynomial 0x82F63B78 (see crc32c.hpp).
#include "rescue/util/crc32c.hpp"

#include <array>

namespace kvmr {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1U) != 0 ? (c >> 1U) ^ 0x82F63B78U : c >> 1U;
    }
    t[i] = c;
  }
  return t;
}

constexpr auto kTable = make_table();

} // namespace

std::uint32_t crc32c_update(std::uint32_t crc, std::span<const std::byte> data) noexcept {
  for (const std::byte b : data) {
    crc = kTable[(crc ^ std::to_integer<std::uint32_t>(b)) & 0xFFU] ^ (crc >> 8U);
  }
  return crc;
}

std::uint32_t crc32c(std::span<const std::byte> data) noexcept {
  return ~crc32c_update(~0U, data);
}

} // namespace kvmr
