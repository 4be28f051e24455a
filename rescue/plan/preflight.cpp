// The space preflight (see plan_build.hpp).
#include "rescue/plan/plan_build.hpp"
#include "rescue/text/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kvmr::plan {
namespace {

// The items' own bytes on the target.
std::uint64_t item_bytes(const RescuePlan &plan) {
  constexpr std::uint64_t kBlock = 4096;
  std::uint64_t sum = 0;
  for (const auto &i : plan.items) {
    if (i.kind == ItemKind::image || i.kind == ItemKind::lv_image) {
      sum += i.allocated;
    } else {
      sum += (std::max(i.allocated, i.size) + kBlock - 1) / kBlock * kBlock;
    }
  }
  return sum;
}

} // namespace

std::uint64_t bytes_needed(const RescuePlan &plan) {
  const std::uint64_t sum = item_bytes(plan);
  return with_margin(sum);
}

std::string space_shortfall(const RescuePlan &plan) {
  if (plan.bytes_needed <= plan.target.capacity) {
    return "";
  }
  const bool dir =
      plan.target.kind == TargetKind::directory || plan.target.kind == TargetKind::remote;
  const std::uint64_t items = std::min(item_bytes(plan), plan.bytes_needed);
  return fmt::format("the target {} is too small: the plan needs {} ({} bytes: {} of files and "
                     "a margin of {}), {} {} ({} bytes){}",
                     plan.target.path, text::human_size(plan.bytes_needed), plan.bytes_needed,
                     text::human_size(items), text::human_size(plan.bytes_needed - items),
                     dir ? "it has" : "its data partition would hold",
                     text::human_size(plan.target.capacity), plan.target.capacity,
                     dir ? " free" : "");
}

} // namespace kvmr::plan
