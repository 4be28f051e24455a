// Filesystem probing over a region (see fs_probe.hpp).
#include "rescue/disk/fs_probe.hpp"

#include "rescue/disk/blkid.hpp"
#include "rescue/disk/superblock_check.hpp"
#include "rescue/util/fd.hpp"

#include <algorithm>
#include <exception>
#include <map>

namespace kvmr::disk {
namespace {

constexpr std::size_t kXfsSbRead = 32768;
constexpr std::uint64_t kExtSbOffset = 1024;
constexpr std::size_t kExtSbSize = 1024;

void verify_checksum(int fd, const std::string &path, std::uint64_t offset, std::uint64_t size,
                     Filesystem &fs) {
  ChecksumResult r;
  if (fs.type == "xfs") {
    const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(kXfsSbRead, size));
    r = check_xfs_superblock(read_bytes(fd, path, offset, len));
  } else if (fs.type == "ext2" || fs.type == "ext3" || fs.type == "ext4") {
    r = check_ext_superblock(read_bytes(fd, path, offset + kExtSbOffset, kExtSbSize));
  } else if (fs.type == "LVM2_member") {
    r = {ChecksumVerdict::ok, "LVM2 label CRC verified by libblkid"};
  } else if (fs.type == "vfat" || fs.type == "swap") {
    r = {ChecksumVerdict::none, fs.type + " carries no superblock checksum"};
  } else {
    r = {ChecksumVerdict::not_checked, "no checksum check for " + fs.type};
  }
  fs.checksum = r.verdict;
  fs.checksum_detail = r.detail;
}

} // namespace

std::string role_of(const std::string &type) {
  static const std::map<std::string, std::string> roles = {
      {"xfs", "XFS filesystem"},
      {"ext2", "ext2 filesystem"},
      {"ext3", "ext3 filesystem"},
      {"ext4", "ext4 filesystem"},
      {"btrfs", "btrfs filesystem"},
      {"vfat", "FAT filesystem"},
      {"swap", "swap space"},
      {"LVM2_member", "LVM2 physical volume"},
      {"linux_raid_member", "md RAID member (not assembled)"},
      {"crypto_LUKS", "LUKS encrypted volume (not opened)"},
      {"iso9660", "ISO 9660 (CD/DVD) filesystem"},
  };
  const auto it = roles.find(type);
  return it != roles.end() ? it->second : type;
}

Filesystem probe_filesystem(int fd, const std::string &path, std::uint64_t offset,
                            std::uint64_t size) {
  Filesystem fs;
  try {
    auto pr = blkid::superblock_probe(fd, path, offset, size);
    fs.outcome = blkid::safeprobe(pr.get());
    if (fs.outcome == ProbeOutcome::error) {
      fs.error = "libblkid could not probe this region";
      return fs;
    }
    if (fs.outcome != ProbeOutcome::found) {
      return fs;
    }
    fs.type = blkid::lookup(pr.get(), "TYPE").value_or("");
    fs.usage = blkid::lookup(pr.get(), "USAGE").value_or("");
    fs.uuid = blkid::lookup(pr.get(), "UUID").value_or("");
    fs.label = blkid::lookup(pr.get(), "LABEL").value_or("");
    fs.version = blkid::lookup(pr.get(), "VERSION").value_or("");
    fs.role = role_of(fs.type);
    if (blkid::lookup(pr.get(), "SBBADCSUM").has_value()) {
      fs.checksum = ChecksumVerdict::bad;
      fs.checksum_detail = "libblkid: superblock checksum does not match";
    } else {
      verify_checksum(fd, path, offset, size, fs);
    }
  } catch (const std::exception &e) {
    fs.outcome = ProbeOutcome::error;
    fs.error = e.what();
  }
  return fs;
}

} // namespace kvmr::disk
