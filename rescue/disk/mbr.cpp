// MBR parsing (see mbr.hpp).
#include "rescue/disk/mbr.hpp"

#include "rescue/util/error.hpp"

namespace kvmr::disk {
namespace {

constexpr std::size_t kBootCodeSize = 440;
constexpr std::size_t kTableOffset = 446;
constexpr std::size_t kEntrySize = 16;
constexpr std::uint8_t kProtectiveType = 0xEE;

} // namespace

Mbr parse_mbr(Bytes sector0) {
  if (sector0.size() < 512) {
    throw InputError("MBR: sector 0 shorter than 512 bytes");
  }
  Mbr m;
  m.signature = std::to_integer<unsigned>(sector0[510]) == 0x55 &&
                std::to_integer<unsigned>(sector0[511]) == 0xAA;
  const Bytes code = sector0.first(kBootCodeSize);
  if (all_zero(code)) {
    m.boot_code = BootCode::zeroed;
  } else if (has_at(sector0, 0x180, "GRUB ")) {
    m.boot_code = BootCode::grub2;
  } else {
    m.boot_code = BootCode::other;
  }
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    const std::size_t off = kTableOffset + i * kEntrySize;
    auto &e = m.entries[i];
    e.active = std::to_integer<unsigned>(sector0[off]) == 0x80;
    e.type = std::to_integer<std::uint8_t>(sector0[off + 4]);
    e.first_lba = le32(sector0, off + 8);
    e.sectors = le32(sector0, off + 12);
    if (e.type == kProtectiveType) {
      m.protective = true;
    }
  }
  return m;
}

bool looks_like_grub_core(Bytes first_sector) {
  return has_at(first_sector, 0x11b, "loading");
}

const char *describe(BootCode c) noexcept {
  switch (c) {
  case BootCode::zeroed: return "all zero";
  case BootCode::grub2: return "GRUB 2 boot.img";
  case BootCode::other: return "boot code of another loader";
  }
  return "?";
}

} // namespace kvmr::disk
