// LVM2's CRC-32 with its own seed (see crc.hpp).
#include "rescue/lvm/crc.hpp"

#include "rescue/util/crc_reflected.hpp"

namespace kvmr::lvm {

std::uint32_t lvm_crc(std::uint32_t crc, std::span<const std::byte> data) noexcept {
  return ReflectedCrc32<0xEDB88320U>::update(crc, data);
}

std::uint32_t lvm_crc(std::span<const std::byte> data) noexcept {
  return lvm_crc(kLvmCrcSeed, data);
}

} // namespace kvmr::lvm
