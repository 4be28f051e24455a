// libblkid wrapper (see blkid.hpp).
#include "rescue/disk/blkid.hpp"

#include "rescue/util/error.hpp"

#include <cerrno>

namespace kvmr::disk::blkid {

ProbeHandle superblock_probe(int fd, const std::string &path, std::uint64_t offset,
                             std::uint64_t size) {
  ProbeHandle pr(blkid_new_probe());
  if (!pr) {
    throw SysError(path, "blkid_new_probe", ENOMEM);
  }
  if (blkid_probe_set_device(pr.get(), fd, static_cast<blkid_loff_t>(offset),
                             static_cast<blkid_loff_t>(size)) != 0) {
    throw SysError(path, "blkid_probe_set_device at offset " + std::to_string(offset),
                   errno != 0 ? errno : EINVAL);
  }
  blkid_probe_enable_superblocks(pr.get(), 1);
  blkid_probe_set_superblocks_flags(pr.get(), BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
                                                  BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
                                                  BLKID_SUBLKS_VERSION | BLKID_SUBLKS_BADCSUM);
  blkid_probe_enable_partitions(pr.get(), 0);
  return pr;
}

ProbeOutcome safeprobe(blkid_probe pr) {
  switch (blkid_do_safeprobe(pr)) {
  case 0: return ProbeOutcome::found;
  case 1: return ProbeOutcome::nothing;
  case -2: return ProbeOutcome::ambiguous;
  default: return ProbeOutcome::error;
  }
}

std::optional<std::string> lookup(blkid_probe pr, const char *name) {
  const char *data = nullptr;
  std::size_t len = 0;
  if (blkid_probe_lookup_value(pr, name, &data, &len) != 0 || data == nullptr) {
    return std::nullopt;
  }
  // len counts the terminating NUL.
  return std::string(data, len > 0 && data[len - 1] == '\0' ? len - 1 : len);
}

} // namespace kvmr::disk::blkid
