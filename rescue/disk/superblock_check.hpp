// Checksums of filesystem superblocks that libblkid 2.38 does not verify
// (XFS v5) or verifies without saying so (ext4 metadata_csum). Pure
// functions over the bytes, so they are tested on real and damaged copies.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/util/bytes.hpp"

#include <string>

namespace kvmr::disk {

struct ChecksumResult {
  ChecksumVerdict verdict = ChecksumVerdict::not_checked;
  std::string detail;
};

// SB holds the first bytes of an XFS filesystem (at least its sector size,
// up to 32 KiB is enough). v5: CRC-32C of the superblock sector with the
// sb_crc field (offset 224) zeroed. v4: no checksum.
ChecksumResult check_xfs_superblock(Bytes sb);

// SB holds the 1024 bytes of an ext2/3/4 superblock (found at byte 1024 of
// the filesystem). With metadata_csum: CRC-32C over the first 1020 bytes.
ChecksumResult check_ext_superblock(Bytes sb);

} // namespace kvmr::disk
