// Sector 0 read as a classic MBR: boot code, signature, the four primary
// entries, and what kind of boot code it carries.
#pragma once

#include "rescue/util/bytes.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace kvmr::disk {

enum class BootCode { zeroed, grub2, other };

struct MbrEntry {
  bool active = false;
  std::uint8_t type = 0;
  std::uint32_t first_lba = 0;
  std::uint32_t sectors = 0;
};

struct Mbr {
  bool signature = false;  // 0x55AA at offset 510
  bool protective = false; // an entry of type 0xEE (GPT's protective MBR)
  BootCode boot_code = BootCode::zeroed;
  std::array<MbrEntry, 4> entries{};
};

// SECTOR0 must hold at least 512 bytes.
Mbr parse_mbr(Bytes sector0);

// GRUB 2's diskboot.img (the first sector of core.img) carries "loading"
// at offset 0x11b.
bool looks_like_grub_core(Bytes first_sector);

const char *describe(BootCode c) noexcept;

} // namespace kvmr::disk
