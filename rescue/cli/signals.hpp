// Ctrl-C and SIGTERM while devices are attached: the signals are held
// back during a step, and a step that saw one ends by throwing
// Interrupted, so destructors release every loop device and mount. A
// SIGKILL cannot be held back: the registry's state file covers that.
#pragma once

#include <csignal>
#include <stdexcept>

namespace kvmr::cli {

class Interrupted : public std::runtime_error {
public:
  explicit Interrupted(int sig);
  [[nodiscard]] int signal() const noexcept { return sig_; }

private:
  int sig_;
};

class HoldSignals {
public:
  HoldSignals();
  HoldSignals(const HoldSignals &) = delete;
  HoldSignals &operator=(const HoldSignals &) = delete;
  HoldSignals(HoldSignals &&) = delete;
  HoldSignals &operator=(HoldSignals &&) = delete;
  ~HoldSignals(); // unblocks; a pending signal then acts as usual

  // Throws Interrupted when SIGINT or SIGTERM arrived meanwhile (and
  // consumes it).
  void check() const;

private:
  sigset_t old_{};
};

} // namespace kvmr::cli
