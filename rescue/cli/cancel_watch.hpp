// Ctrl-C during a copy: with SIGINT/SIGTERM held (HoldSignals, before any
// thread starts), a watcher thread takes them with sigtimedwait and sets
// a flag the copy engine polls, so the copy stops at a clean point (maps
// and state saved, nothing renamed) and every destructor runs.
#pragma once

#include <atomic>
#include <thread>

namespace kvmr::cli {

class CancelWatch {
public:
  // The calling thread must hold SIGINT and SIGTERM (HoldSignals).
  CancelWatch();
  CancelWatch(const CancelWatch &) = delete;
  CancelWatch &operator=(const CancelWatch &) = delete;
  CancelWatch(CancelWatch &&) = delete;
  CancelWatch &operator=(CancelWatch &&) = delete;
  ~CancelWatch();

  [[nodiscard]] const std::atomic<bool> &flag() const { return cancel_; }
  [[nodiscard]] bool cancelled() const { return cancel_.load(); }
  [[nodiscard]] int signal() const { return sig_.load(); }
  // Throws Interrupted when a signal came.
  void check() const;

private:
  std::atomic<bool> cancel_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int> sig_{0};
  std::thread thread_;
};

} // namespace kvmr::cli
