// Work on a worker thread with the screen alive (see task.hpp).
#include "tui/task.hpp"

#include "tui/widgets.hpp"

#include <exception>
#include <thread>

namespace kvmr::tui {

void Task::set_status(const std::string &s) {
  const std::lock_guard<std::mutex> lock(mu_);
  status_ = s;
}

std::string Task::status() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void Task::checkpoint() const {
  if (cancel.load()) {
    throw Cancelled();
  }
}

TaskResult run_task(Ui &ui, const std::string &title, int step,
                    const std::function<void(Task &)> &work,
                    const std::function<void(Ui &, const Task &)> &draw,
                    const std::string &stop_question) {
  Task task;
  TaskResult result;
  std::atomic<bool> done{false};
  std::thread worker([&] {
    try {
      work(task);
      result.ok = true;
    } catch (const Cancelled &) {
      result.cancelled = true;
    } catch (const std::exception &e) {
      result.error = e.what();
    } catch (...) {
      result.error = "unknown failure";
    }
    done.store(true);
  });
  static constexpr const char *kSpin = "|/-\\";
  unsigned tick = 0;
  while (!done.load()) {
    if (ui.frame(title, step, "Esc: stop (asks first)  F1: help")) {
      if (draw) {
        draw(ui, task);
      } else {
        ui.put(3, 2, std::string(1, kSpin[tick % 4]) + " " + task.status());
      }
    }
    ++tick;
    ui.refresh();
    const Key k = ui.key(200);
    if (k == kStop) {
      task.cancel.store(true);
      result.signalled = true;
    } else if ((k == kEsc || k == kCtrlC) && !task.cancel.load()) {
      if (ask_yes_no(ui, "Stop?", stop_question)) {
        task.cancel.store(true);
      }
    } else if (k == kHelp || k == '?') {
      show_help(ui, title,
                "The work goes on in the background. Esc stops it at its next clean "
                "point; nothing is left attached or half-written, and a copy resumes where "
                "it stopped when you start it again.");
    }
  }
  worker.join();
  if (task.cancel.load() && !result.ok) {
    result.cancelled = true;
  }
  return result;
}

} // namespace kvmr::tui
