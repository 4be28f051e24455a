// The smoothed rate meter (see progress.hpp).
#include "rescue/copy/progress.hpp"

#include <cmath>

namespace kvmr::copy {

void RateMeter::start(Clock::time_point now, std::uint64_t done) {
  started_ = true;
  have_rate_ = false;
  last_ = now;
  last_done_ = done;
  rate_ = 0;
}

void RateMeter::sample(Clock::time_point now, std::uint64_t done) {
  if (!started_) {
    start(now, done);
    return;
  }
  const double dt = std::chrono::duration<double>(now - last_).count();
  if (dt <= 0) {
    return;
  }
  const double bytes = done >= last_done_ ? static_cast<double>(done - last_done_) : 0.0;
  const double instant = bytes / dt;
  if (!have_rate_) {
    rate_ = instant;
    have_rate_ = true;
  } else {
    const double alpha = tau_ > 0 ? 1.0 - std::exp(-dt / tau_) : 1.0;
    rate_ += alpha * (instant - rate_);
  }
  last_ = now;
  last_done_ = done;
}

std::optional<double> RateMeter::eta_seconds(std::uint64_t remaining) const {
  if (remaining == 0) {
    return 0.0;
  }
  if (!have_rate_ || rate_ <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(remaining) / rate_;
}

} // namespace kvmr::copy
