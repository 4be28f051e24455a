// Probing a disk: open read-only, measure, read the table, probe every
// partition, diagnose booting (see probe.hpp).
#include "rescue/disk/probe.hpp"

#include "rescue/disk/boot_diag.hpp"
#include "rescue/disk/fs_probe.hpp"
#include "rescue/disk/mbr.hpp"
#include "rescue/disk/partition_table.hpp"
#include "rescue/disk/smart.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

namespace kvmr::disk {
namespace {

constexpr std::uint64_t kBlankCheck = 1ULL << 20U;
constexpr std::uint64_t kEmptyCheck = 64ULL << 10U;

bool is_container(const Partition &p) {
  return p.type_code == "0x05" || p.type_code == "0x0f" || p.type_code == "0x85";
}

// Size and sector sizes of an open block device or image file.
void measure(int fd, const struct stat &st, Disk &d) {
  if (S_ISBLK(st.st_mode)) {
    std::uint64_t bytes = 0;
    int lss = 0;
    unsigned int pss = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
      throw SysError(d.path, "BLKGETSIZE64", errno);
    }
    if (::ioctl(fd, BLKSSZGET, &lss) != 0) {
      lss = 512;
    }
    if (::ioctl(fd, BLKPBSZGET, &pss) != 0) {
      pss = static_cast<unsigned>(lss);
    }
    d.size = bytes;
    d.logical_sector_size = static_cast<unsigned>(lss);
    d.physical_sector_size = pss;
  } else {
    d.size = static_cast<std::uint64_t>(st.st_size);
    d.logical_sector_size = 512;
    d.physical_sector_size = 512;
  }
}

bool region_is_zero(int fd, const std::string &path, std::uint64_t off, std::uint64_t len) {
  const auto buf = read_bytes(fd, path, off, static_cast<std::size_t>(len));
  return all_zero(buf);
}

void probe_partition(int fd, const Disk &d, Partition &p) {
  if (is_container(p)) {
    p.fs.role = "extended partition (holds logical partitions)";
    p.state = PartitionState::intact;
    return;
  }
  if (p.start >= d.size) {
    p.state = PartitionState::damaged;
    p.problems.push_back("starts beyond the end of the disk");
    return;
  }
  const std::uint64_t size = std::min(p.size, d.size - p.start);
  p.fs = probe_filesystem(fd, d.path, p.start, size);
  switch (p.fs.outcome) {
  case ProbeOutcome::found:
    p.state =
        p.fs.checksum == ChecksumVerdict::bad ? PartitionState::damaged : PartitionState::intact;
    if (p.fs.checksum == ChecksumVerdict::bad) {
      p.problems.push_back(p.fs.checksum_detail);
    }
    break;
  case ProbeOutcome::ambiguous:
    p.state = PartitionState::unknown;
    p.problems.push_back("more than one filesystem signature: libblkid will "
                         "not say which one is real");
    break;
  case ProbeOutcome::nothing:
    p.state = region_is_zero(fd, d.path, p.start, std::min(size, kEmptyCheck))
                  ? PartitionState::empty
                  : PartitionState::unknown;
    break;
  case ProbeOutcome::error:
    p.state = PartitionState::unknown;
    p.problems.push_back(p.fs.error);
    break;
  }
  if (!p.problems.empty() && p.state == PartitionState::intact) {
    p.state = PartitionState::damaged;
  }
  if (p.start + p.size > d.size) {
    p.state = PartitionState::damaged;
  }
}

// No partition table: a protective MBR without GPT, a bare filesystem, a
// blank disk, or nothing known.
void probe_without_table(int fd, Disk &d) {
  const auto sector0 = read_bytes(fd, d.path, 0, 512);
  if (sector0.size() == 512) {
    const Mbr mbr = parse_mbr(sector0);
    if (mbr.signature && mbr.protective) {
      d.problems.push_back("protective MBR found, but no valid GPT: the "
                           "primary and the backup GPT header are both "
                           "damaged or missing");
    }
  }
  d.whole_disk = probe_filesystem(fd, d.path, 0, d.size);
  if (d.whole_disk->outcome == ProbeOutcome::found) {
    if (d.whole_disk->checksum == ChecksumVerdict::bad) {
      d.problems.push_back(d.whole_disk->checksum_detail);
    }
    d.status = d.problems.empty() ? DiskStatus::ok : DiskStatus::problems;
    return;
  }
  if (!d.problems.empty()) {
    d.status = DiskStatus::problems;
  } else if (region_is_zero(fd, d.path, 0, std::min(d.size, kBlankCheck))) {
    d.status = DiskStatus::blank;
  } else {
    d.status = DiskStatus::unrecognised;
  }
  d.whole_disk.reset();
}

void probe_contents(int fd, Disk &d) {
  try {
    d.table = read_partition_table(fd, d.path, d.size);
  } catch (const std::exception &e) {
    d.problems.push_back(std::string("partition table: ") + e.what());
  }
  if (d.table.type.empty()) {
    for (const auto &m : d.table.problems) {
      d.problems.push_back(m);
    }
    probe_without_table(fd, d);
    return;
  }
  for (auto &p : d.table.partitions) {
    probe_partition(fd, d, p);
    if (p.type_code == "0xee" && d.table.type == "dos") {
      d.problems.push_back("protective MBR found, but no valid GPT: the "
                           "primary and the backup GPT header are both "
                           "damaged or missing");
    }
  }
  const bool damaged =
      std::any_of(d.table.partitions.begin(), d.table.partitions.end(), [](const Partition &p) {
        return p.state == PartitionState::damaged || !p.problems.empty();
      });
  d.status = damaged || !d.table.problems.empty() || !d.problems.empty() ? DiskStatus::problems
                                                                         : DiskStatus::ok;
}

std::string open_error(const std::string &path, int err) {
  if (err == ENOENT) {
    return "no such file or device";
  }
  if (err == EACCES || err == EPERM) {
    return "permission denied (probing devices needs root)";
  }
  return fmt::format("cannot open {}: {}", path, std::strerror(err));
}

} // namespace

Disk probe_disk(const std::string &path, CommandRunner &runner, const ProbeOptions &opts) {
  Disk d;
  d.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    d.error = open_error(path, errno);
    return d;
  }
  if (S_ISDIR(st.st_mode)) {
    d.error = "is a directory, not a disk or an image file";
    return d;
  }
  if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
    d.error = "is neither a block device nor a regular file";
    return d;
  }
  try {
    UniqueFd fd = open_read_only(path);
    measure(fd.get(), st, d);
    if (d.size == 0) {
      d.error = "is empty (0 bytes)";
      return d;
    }
    if (S_ISBLK(st.st_mode)) {
      d.device = device_info(path, opts.paths);
      d.smart =
          d.device.transport == "loop" || !opts.smart
              ? SmartHealth{SmartStatus::not_applicable,
                            d.device.transport == "loop" ? "loop device" : "not asked (--no-smart)"}
              : smart_health(path, runner);
    } else {
      d.smart = {SmartStatus::not_applicable, "image file"};
    }
    probe_contents(fd.get(), d);
    d.boot = diagnose_boot(fd.get(), path, d);
  } catch (const SysError &e) {
    d.status = DiskStatus::error;
    d.error = e.path() == path ? e.reason() : e.what();
  } catch (const std::exception &e) {
    d.status = DiskStatus::error;
    d.error = e.what();
  }
  return d;
}

std::vector<Disk> probe_disks(const std::vector<std::string> &paths, CommandRunner &runner,
                              const ProbeOptions &opts) {
  std::vector<Disk> out;
  out.reserve(paths.size());
  for (const auto &p : paths) {
    out.push_back(probe_disk(p, runner, opts));
  }
  return out;
}

} // namespace kvmr::disk
