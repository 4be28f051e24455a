// What a region of a disk holds: libblkid's superblock probe plus the
// checksums libblkid does not verify, turned into a Filesystem value.
#pragma once

#include "rescue/disk/model.hpp"

#include <cstdint>
#include <string>

namespace kvmr::disk {

// Probes [OFFSET, OFFSET+SIZE) of the read-only FD opened on PATH. Never
// throws for what is on the disk; I/O failures come back as
// outcome==error with the reason.
Filesystem probe_filesystem(int fd, const std::string &path, std::uint64_t offset,
                            std::uint64_t size);

// Plain words for a blkid TYPE: "LVM2 physical volume", "XFS filesystem".
std::string role_of(const std::string &type);

} // namespace kvmr::disk
