// CRC-32C, reflected polynomial 0x82F63B78 (see crc32c.hpp).
#include "rescue/util/crc32c.hpp"

#include "rescue/util/crc_reflected.hpp"

namespace kvmr {

std::uint32_t crc32c_update(std::uint32_t crc, std::span<const std::byte> data) noexcept {
  return ReflectedCrc32<0x82F63B78U>::update(crc, data);
}

std::uint32_t crc32c(std::span<const std::byte> data) noexcept {
  return ~crc32c_update(~0U, data);
}

} // namespace kvmr
