// The signal watcher of a copy (see cancel_watch.hpp).
#include "rescue/cli/cancel_watch.hpp"

#include "rescue/cli/signals.hpp"

#include <csignal>
#include <ctime>

namespace kvmr::cli {

CancelWatch::CancelWatch() {
  thread_ = std::thread([this] {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    const timespec wait{0, 200'000'000};
    while (!stop_.load()) {
      const int got = sigtimedwait(&s, nullptr, &wait);
      if (got == SIGINT || got == SIGTERM || got == SIGHUP) {
        sig_.store(got);
        cancel_.store(true);
      }
    }
  });
}

CancelWatch::~CancelWatch() {
  stop_.store(true);
  thread_.join();
}

void CancelWatch::check() const {
  if (cancel_.load()) {
    throw Interrupted(sig_.load());
  }
}

} // namespace kvmr::cli
