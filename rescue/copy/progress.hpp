// How the copy engine reports progress without printing: it hands
// CopyProgress values to a ProgressSink (the CLI draws a bar or prints
// lines; tests record them). RateMeter smooths the rate and gives an ETA;
// it is pure and takes the time as an argument, so tests drive it with
// made-up clocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kvmr::copy {

using Clock = std::chrono::steady_clock;

enum class CopyPhase {
  copying,  // first pass over the source
  retrying, // re-reading bad sectors
  verifying // re-reading the target
};

struct CopyProgress {
  std::string item; // the target path
  CopyPhase phase = CopyPhase::copying;
  std::uint64_t done = 0;  // bytes of this phase done (holes do not count)
  std::uint64_t total = 0; // bytes of this phase in all
  double rate = 0;         // bytes per second, smoothed
  std::optional<double> eta_seconds;
  std::uint64_t bad_bytes = 0; // unreadable so far
};

class ProgressSink {
public:
  ProgressSink() = default;
  ProgressSink(const ProgressSink &) = delete;
  ProgressSink &operator=(const ProgressSink &) = delete;
  ProgressSink(ProgressSink &&) = delete;
  ProgressSink &operator=(ProgressSink &&) = delete;
  virtual ~ProgressSink() = default;
  // Called from the copying thread, at most every few hundred ms and once
  // at the end of each phase. Must not throw.
  virtual void on_progress(const CopyProgress &p) noexcept = 0;
};

// Exponentially smoothed rate: each sample's instantaneous rate is blended
// in with weight 1 - exp(-dt / time_constant).
class RateMeter {
public:
  explicit RateMeter(std::chrono::duration<double> time_constant = std::chrono::seconds(3))
      : tau_(time_constant.count()) {}

  // Starts measuring at NOW with DONE bytes already done (resumed work
  // does not count towards the rate).
  void start(Clock::time_point now, std::uint64_t done);
  // Records that DONE bytes (cumulative) are done at NOW.
  void sample(Clock::time_point now, std::uint64_t done);
  // Bytes per second; 0 before the first sample with elapsed time.
  [[nodiscard]] double rate() const { return rate_; }
  // Seconds until REMAINING more bytes are done at the current rate;
  // nullopt while the rate is unknown.
  [[nodiscard]] std::optional<double> eta_seconds(std::uint64_t remaining) const;

private:
  double tau_;
  bool started_ = false;
  bool have_rate_ = false;
  Clock::time_point last_{};
  std::uint64_t last_done_ = 0;
  double rate_ = 0;
};

} // namespace kvmr::copy
