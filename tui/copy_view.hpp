// What the Copy screen shows, filled from the copy's thread (a ProgressSink
// and the item hooks) and read by the screen's thread: a bar per VM and
// one overall, the rate, the ETA, the unreadable bytes.
#pragma once

#include "rescue/copy/progress.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/run/manifest.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kvmr::tui {

class CopyView : public copy::ProgressSink {
public:
  explicit CopyView(const plan::RescuePlan &p);

  void on_progress(const copy::CopyProgress &p) noexcept override;
  void item_begin(const plan::PlanItem &item);
  void item_end(const plan::PlanItem &item, const run::ManifestItem &m);

  struct Row {
    std::string vm; // "" for the host's files
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    bool finished = false;
  };
  struct Snapshot {
    std::vector<Row> rows;
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    double rate = 0;
    std::optional<double> eta;
    std::uint64_t bad_bytes = 0;
    std::string phase; // "copying", "verifying", "retrying bad sectors"
    std::string item;  // relative to the target's root
  };
  [[nodiscard]] Snapshot snapshot() const;

private:
  mutable std::mutex mu_;
  std::vector<Row> rows_;
  std::map<std::string, std::size_t> row_of_vm_;
  std::uint64_t total_ = 0;
  std::uint64_t finished_bytes_ = 0; // of items already done
  std::uint64_t current_ = 0;        // copied bytes of the current item
  std::size_t current_row_ = 0;
  std::uint64_t bad_done_ = 0;
  std::string item_; // the current item's path on the target, relative
  copy::CopyProgress last_;
  copy::RateMeter meter_; // over the bytes copied in this run, all items
  bool metering_ = false;
};

} // namespace kvmr::tui
