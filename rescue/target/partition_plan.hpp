// Where the partitions of a prepared target go: computed once, used by
// inspect (capacity), refusals (too small) and the GPT writer (the table).
#pragma once

#include "rescue/target/target.hpp"

#include <cstdint>
#include <optional>

namespace kvmr::target {

inline constexpr std::uint64_t kMiB = std::uint64_t{1} << 20U;
inline constexpr std::uint64_t kAlign = kMiB; // partition alignment

struct PartitionPlan {
  unsigned sector_size = 512;
  std::uint64_t data_start = 0; // bytes
  std::uint64_t data_size = 0;
  std::uint64_t oemdrv_start = 0; // 0 without OEMDRV
  std::uint64_t oemdrv_size = 0;
};

// The smallest data partition mkfs accepts for LAYOUT's filesystem
// (mkfs.xfs refuses below 300 MiB).
std::uint64_t min_data_size(const Layout &layout);

// The layout on a disk of DISK_SIZE bytes; nullopt when it does not fit
// (the data partition would be below min_data_size).
std::optional<PartitionPlan> plan_partitions(std::uint64_t disk_size, unsigned sector_size,
                                             const Layout &layout);

} // namespace kvmr::target
