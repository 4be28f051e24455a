// The smoothed rate and ETA, driven by a made-up clock.
#include "rescue/copy/progress.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace kvmr::copy;
using namespace std::chrono_literals;

TEST_CASE("RateMeter: first rate, smoothing, ETA") {
  RateMeter m(3s);
  const Clock::time_point t0{};
  m.start(t0, 1000); // resumed work does not count
  CHECK(m.rate() == 0);
  CHECK_FALSE(m.eta_seconds(10).has_value());
  CHECK(m.eta_seconds(0) == 0.0);

  m.sample(t0 + 1s, 1100);
  CHECK(m.rate() == doctest::Approx(100));
  m.sample(t0 + 2s, 1400); // instantaneous 300
  const double alpha = 1 - std::exp(-1.0 / 3.0);
  CHECK(m.rate() == doctest::Approx(100 + alpha * 200));
  REQUIRE(m.eta_seconds(1000).has_value());
  CHECK(*m.eta_seconds(1000) == doctest::Approx(1000 / m.rate()));

  m.sample(t0 + 2s, 5000); // no time passed: ignored
  CHECK(m.rate() == doctest::Approx(100 + alpha * 200));

  // A stall pulls the rate down, never below zero.
  for (int i = 3; i < 60; ++i) {
    m.sample(t0 + std::chrono::seconds(i), 1400);
  }
  CHECK(m.rate() >= 0);
  CHECK(m.rate() < 1);
}
