// The Copy screen's model (see copy_view.hpp).
#include "tui/copy_view.hpp"

#include <algorithm>

namespace kvmr::tui {
namespace {

std::uint64_t weight(const plan::PlanItem &i) {
  return i.allocated != 0 ? i.allocated : i.size;
}

} // namespace

CopyView::CopyView(const plan::RescuePlan &p) {
  for (const auto &item : p.items) {
    const auto [it, added] = row_of_vm_.try_emplace(item.vm, rows_.size());
    if (added) {
      rows_.push_back(Row{item.vm, 0, 0, false});
    }
    rows_[it->second].total += weight(item);
    total_ += weight(item);
  }
}

void CopyView::on_progress(const copy::CopyProgress &p) noexcept {
  const std::lock_guard<std::mutex> lock(mu_);
  last_ = p;
  if (p.phase == copy::CopyPhase::copying) {
    current_ = p.done;
  }
  const auto now = copy::Clock::now();
  if (!metering_) {
    meter_.start(now, finished_bytes_ + current_);
    metering_ = true;
  } else {
    meter_.sample(now, finished_bytes_ + current_);
  }
}

void CopyView::item_begin(const plan::PlanItem &item) {
  const std::lock_guard<std::mutex> lock(mu_);
  current_row_ = row_of_vm_[item.vm];
  current_ = 0;
  last_ = copy::CopyProgress{};
  item_ = item.dest;
}

void CopyView::item_end(const plan::PlanItem &item, const run::ManifestItem &m) {
  const std::lock_guard<std::mutex> lock(mu_);
  Row &r = rows_[row_of_vm_[item.vm]];
  if (m.status != run::ItemStatus::pending) {
    r.done += weight(item);
    finished_bytes_ += weight(item);
    r.finished = r.done >= r.total;
  }
  for (const auto &b : m.bad_ranges) {
    bad_done_ += b.length;
  }
  current_ = 0;
}

CopyView::Snapshot CopyView::snapshot() const {
  const std::lock_guard<std::mutex> lock(mu_);
  Snapshot s;
  s.rows = rows_;
  if (current_row_ < s.rows.size() && !s.rows[current_row_].finished) {
    s.rows[current_row_].done =
        std::min(s.rows[current_row_].total, s.rows[current_row_].done + current_);
  }
  s.total = total_;
  s.done = std::min(total_, finished_bytes_ + current_);
  s.rate = meter_.rate();
  s.eta = s.rate > 0 ? std::optional<double>(static_cast<double>(s.total - s.done) / s.rate)
                     : std::nullopt;
  s.bad_bytes = bad_done_ + last_.bad_bytes;
  s.phase = last_.phase == copy::CopyPhase::copying     ? "copying"
            : last_.phase == copy::CopyPhase::verifying ? "verifying"
                                                        : "retrying bad sectors";
  s.item = item_;
  return s;
}

} // namespace kvmr::tui
