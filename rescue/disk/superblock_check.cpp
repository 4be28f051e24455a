// XFS v5 and ext4 superblock checksums (see superblock_check.hpp).
#include "rescue/disk/superblock_check.hpp"

#include "rescue/util/crc32c.hpp"

#include <fmt/format.h>

#include <vector>

namespace kvmr::disk {
namespace {

constexpr std::size_t kXfsCrcOffset = 224;
constexpr std::uint16_t kXfsVersionMask = 0x000F;
constexpr std::size_t kExtSbSize = 1024;
constexpr std::size_t kExtCsumOffset = 0x3FC;
constexpr std::uint32_t kExtRoCompatMetadataCsum = 0x400;

} // namespace

ChecksumResult check_xfs_superblock(Bytes sb) {
  if (sb.size() < 512 || !has_at(sb, 0, "XFSB")) {
    return {ChecksumVerdict::bad, "no XFS superblock magic"};
  }
  const unsigned version = be16(sb, 100) & kXfsVersionMask;
  if (version < 5) {
    return {ChecksumVerdict::none, fmt::format("XFS v{} superblock carries no checksum", version)};
  }
  const std::size_t sectsize = be16(sb, 102);
  if (sectsize < 512 || sectsize > 32768 || (sectsize & (sectsize - 1)) != 0) {
    return {ChecksumVerdict::bad,
            fmt::format("XFS superblock sector size {} is impossible", sectsize)};
  }
  if (sb.size() < sectsize) {
    return {ChecksumVerdict::not_checked,
            fmt::format("only {} of {} superblock bytes read", sb.size(), sectsize)};
  }
  std::vector<std::byte> copy(sb.begin(), sb.begin() + static_cast<long>(sectsize));
  const std::uint32_t stored = le32(sb, kXfsCrcOffset);
  for (std::size_t i = 0; i < 4; ++i) {
    copy[kXfsCrcOffset + i] = std::byte{0};
  }
  const std::uint32_t computed = crc32c(copy);
  if (computed != stored) {
    return {ChecksumVerdict::bad, fmt::format("XFS v5 superblock CRC mismatch: stored {:08x}, "
                                              "computed {:08x}",
                                              stored, computed)};
  }
  return {ChecksumVerdict::ok, "XFS v5 superblock CRC verified"};
}

ChecksumResult check_ext_superblock(Bytes sb) {
  if (sb.size() < kExtSbSize || le16(sb, 0x38) != 0xEF53) {
    return {ChecksumVerdict::bad, "no ext2/3/4 superblock magic"};
  }
  const std::uint32_t ro_compat = le32(sb, 0x64);
  if ((ro_compat & kExtRoCompatMetadataCsum) == 0) {
    return {ChecksumVerdict::none, "ext superblock without metadata_csum carries no checksum"};
  }
  const std::uint32_t stored = le32(sb, kExtCsumOffset);
  const std::uint32_t computed = crc32c_update(~0U, sb.first(kExtCsumOffset));
  if (computed != stored) {
    return {ChecksumVerdict::bad, fmt::format("ext4 superblock checksum mismatch: stored {:08x}, "
                                              "computed {:08x}",
                                              stored, computed)};
  }
  return {ChecksumVerdict::ok, "ext4 superblock checksum verified"};
}

} // namespace kvmr::disk
