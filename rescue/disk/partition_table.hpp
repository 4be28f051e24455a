// Reading a disk's partition table with libfdisk, read-only, into a
// PartitionTable value; problems libfdisk reports and the geometry checks
// of our own (a partition past the end of the disk) become plain words.
#pragma once

#include "rescue/disk/model.hpp"

#include <cstdint>
#include <string>

namespace kvmr::disk {

// Partitions come back with number, start, size, type, name, uuid, flags;
// their filesystems are left for the caller to probe. DISK_SIZE is the
// size in bytes the caller measured (libfdisk's view can differ for a
// truncated image).
PartitionTable read_partition_table(int fd, const std::string &path, std::uint64_t disk_size);

} // namespace kvmr::disk
