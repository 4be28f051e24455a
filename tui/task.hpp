// Long work (probing, opening the old host, the copy) runs on a worker
// thread while the screen stays alive: it shows what the work says it is
// doing, redraws on resize, and Esc (or Ctrl-C) asks before it stops the
// work at its next clean point. A signal stops it without asking.
#pragma once

#include "tui/ui.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>

namespace kvmr::tui {

// Thrown by Task::checkpoint when the user stopped the work.
class Cancelled : public std::runtime_error {
public:
  Cancelled() : std::runtime_error("stopped by the user") {}
};

class Task {
public:
  std::atomic<bool> cancel{false};
  void set_status(const std::string &s);
  [[nodiscard]] std::string status() const;
  // Throws Cancelled once cancel is set.
  void checkpoint() const;

private:
  mutable std::mutex mu_;
  std::string status_;
};

struct TaskResult {
  bool ok = false;
  bool cancelled = false; // stopped by the user (or a signal)
  bool signalled = false; // a signal came: the wizard ends
  std::string error;      // what the work threw, when not ok
};

// Runs WORK(task) on a thread and waits for it. DRAW (may be empty) draws
// the body (rows 2 to rows-2) every 200 ms; by default the status line is
// shown. STOP_QUESTION is what Esc asks.
TaskResult run_task(Ui &ui, const std::string &title, int step,
                    const std::function<void(Task &)> &work,
                    const std::function<void(Ui &, const Task &)> &draw = {},
                    const std::string &stop_question = "Stop this step?");

} // namespace kvmr::tui
