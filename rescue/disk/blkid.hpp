// The one wrapper around libblkid's low-level probing API: an owning handle
// and the safeprobe outcome kept as an enum, never folded into a bool.
#pragma once

#include "rescue/disk/model.hpp"

#include <blkid/blkid.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace kvmr::disk::blkid {

struct ProbeDeleter {
  void operator()(blkid_probe p) const noexcept { blkid_free_probe(p); }
};
using ProbeHandle = std::unique_ptr<std::remove_pointer_t<blkid_probe>, ProbeDeleter>;

// A probe over [OFFSET, OFFSET+SIZE) of the already open, read-only FD.
// Superblock probing with TYPE, UUID, LABEL, VERSION, USAGE and bad
// checksums reported (BLKID_SUBLKS_BADCSUM), partition probing off.
ProbeHandle superblock_probe(int fd, const std::string &path, std::uint64_t offset,
                             std::uint64_t size);

// blkid_do_safeprobe() as an enum.
ProbeOutcome safeprobe(blkid_probe pr);

// A value the last probe found, if any.
std::optional<std::string> lookup(blkid_probe pr, const char *name);

} // namespace kvmr::disk::blkid
