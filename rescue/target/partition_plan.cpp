// The partition layout of a prepared target (see partition_plan.hpp).
#include "rescue/target/partition_plan.hpp"

namespace kvmr::target {
namespace {

// 128 GPT entries of 128 bytes at each end.
constexpr std::uint64_t kGptEntriesBytes = std::uint64_t{128} * 128;

std::uint64_t round_up(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) / a * a;
}

} // namespace

std::uint64_t min_data_size(const Layout &layout) {
  return layout.fs_type == "xfs" ? 300 * kMiB : 32 * kMiB;
}

std::optional<PartitionPlan> plan_partitions(std::uint64_t disk_size, unsigned sector_size,
                                             const Layout &layout) {
  PartitionPlan p;
  p.sector_size = sector_size == 0 ? 512 : sector_size;
  const std::uint64_t ss = p.sector_size;
  const std::uint64_t sectors = disk_size / ss;
  const std::uint64_t entry_sectors = round_up(kGptEntriesBytes, ss) / ss;
  // The backup table: its entries, then its header in the last sector.
  if (sectors < 2 * (entry_sectors + 2)) {
    return std::nullopt;
  }
  const std::uint64_t usable_end = (sectors - 1 - entry_sectors) * ss; // exclusive, bytes
  const std::uint64_t end = usable_end / kAlign * kAlign;
  p.data_start = kAlign;
  std::uint64_t data_end = end;
  if (layout.oemdrv) {
    p.oemdrv_size = round_up(layout.oemdrv_size, kAlign);
    if (p.oemdrv_size > end) {
      return std::nullopt;
    }
    p.oemdrv_start = end - p.oemdrv_size;
    data_end = p.oemdrv_start;
  }
  if (data_end <= p.data_start || data_end - p.data_start < min_data_size(layout)) {
    return std::nullopt;
  }
  p.data_size = data_end - p.data_start;
  return p;
}

std::uint64_t data_capacity(std::uint64_t disk_size, unsigned sector_size, const Layout &layout) {
  const auto p = plan_partitions(disk_size, sector_size, layout);
  return p ? p->data_size : 0;
}

} // namespace kvmr::target
