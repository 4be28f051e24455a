// Partition tables through libfdisk (see partition_table.hpp).
#include "rescue/disk/partition_table.hpp"

#include "rescue/util/ascii.hpp"

#include "rescue/disk/fdisk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace kvmr::disk {
namespace {

std::string str_or_empty(const char *s) {
  return s != nullptr ? s : "";
}

Partition to_partition(fdisk_partition *pa, const std::string &label, std::uint64_t sector_size) {
  Partition p;
  p.number = fdisk_partition_get_partno(pa) + 1;
  if (fdisk_partition_has_start(pa) != 0) {
    p.start = fdisk_partition_get_start(pa) * sector_size;
  }
  if (fdisk_partition_has_size(pa) != 0) {
    p.size = fdisk_partition_get_size(pa) * sector_size;
  }
  if (const fdisk_parttype *t = fdisk_partition_get_type(pa); t != nullptr) {
    if (label == "gpt") {
      p.type_code = ascii_lower(str_or_empty(fdisk_parttype_get_string(t)));
    } else {
      p.type_code = fmt::format("0x{:02x}", fdisk_parttype_get_code(t));
    }
    p.type_name = str_or_empty(fdisk_parttype_get_name(t));
  }
  p.name = str_or_empty(fdisk_partition_get_name(pa));
  p.uuid = ascii_lower(str_or_empty(fdisk_partition_get_uuid(pa)));
  p.attrs = str_or_empty(fdisk_partition_get_attrs(pa));
  p.bootable = fdisk_partition_is_bootable(pa) != 0;
  return p;
}

void check_geometry(PartitionTable &t, std::uint64_t disk_size) {
  for (auto &p : t.partitions) {
    if (p.start + p.size > disk_size) {
      p.problems.push_back(
          fmt::format("runs past the end of the disk: ends at byte {}, the disk has {}",
                      p.start + p.size, disk_size));
    }
  }
  auto sorted = t.partitions;
  std::sort(sorted.begin(), sorted.end(),
            [](const Partition &a, const Partition &b) { return a.start < b.start; });
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    const auto &prev = sorted[i - 1];
    if (prev.size > 0 && prev.start + prev.size > sorted[i].start && prev.type_code != "0x05" &&
        prev.type_code != "0x0f" && prev.type_code != "0x85") {
      t.problems.push_back(
          fmt::format("partitions {} and {} overlap", prev.number, sorted[i].number));
    }
  }
}

} // namespace

PartitionTable read_partition_table(int fd, const std::string &path, std::uint64_t disk_size) {
  PartitionTable t;
  std::vector<std::string> messages;
  auto cxt = fdisk::open_read_only(fd, path, &messages);
  for (auto &m : messages) {
    t.problems.push_back(m);
  }
  messages.clear();
  if (fdisk_has_label(cxt.get()) == 0) {
    return t;
  }
  t.type = str_or_empty(fdisk_label_get_name(fdisk_get_label(cxt.get(), nullptr)));
  char *id = nullptr;
  if (fdisk_get_disklabel_id(cxt.get(), &id) == 0 && id != nullptr) {
    t.id = ascii_lower(id);
    std::free(id); // NOLINT(cppcoreguidelines-no-malloc): libfdisk's malloc
  }
  const std::uint64_t sector_size = fdisk_get_sector_size(cxt.get());
  auto tb = fdisk::partitions(cxt.get(), path);
  fdisk::IterHandle itr(fdisk_new_iter(FDISK_ITER_FORWARD));
  fdisk_partition *pa = nullptr;
  while (fdisk_table_next_partition(tb.get(), itr.get(), &pa) == 0) {
    if (fdisk_partition_is_used(pa) != 0) {
      t.partitions.push_back(to_partition(pa, t.type, sector_size));
    }
  }
  for (auto &m : messages) {
    t.problems.push_back(m);
  }
  check_geometry(t, disk_size);
  return t;
}

} // namespace kvmr::disk
