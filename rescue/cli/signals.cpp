// Holding SIGINT/SIGTERM during steps that attach devices (see signals.hpp).
#include "rescue/cli/signals.hpp"

#include <cstring>
#include <string>

namespace kvmr::cli {
namespace {

sigset_t int_term() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGHUP); // the terminal went away (ssh dropped, tmux killed)
  return s;
}

} // namespace

Interrupted::Interrupted(int sig)
    : std::runtime_error(std::string("interrupted by ") + strsignal(sig)), sig_(sig) {
}

HoldSignals::HoldSignals() {
  const sigset_t s = int_term();
  pthread_sigmask(SIG_BLOCK, &s, &old_);
}

HoldSignals::~HoldSignals() {
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

void HoldSignals::check() const {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    if (sigismember(&pending, sig) == 1) {
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, sig);
      int got = 0;
      sigwait(&one, &got);
      throw Interrupted(sig);
    }
  }
}

} // namespace kvmr::cli
