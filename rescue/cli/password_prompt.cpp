// The network target's password, read or asked once (see password_prompt.hpp).
#include "rescue/cli/password_prompt.hpp"

#include "rescue/cli/signals.hpp"
#include "rescue/remote/ssh_url.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <iostream>

namespace kvmr::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_prompt_signal(int sig) {
  g_signal = sig;
}

// SIGINT, SIGTERM and SIGHUP interrupt the read (no SA_RESTART) while
// the prompt waits; the old handlers come back with the terminal's echo.
class PromptSignals {
public:
  PromptSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_prompt_signal;
    sigemptyset(&sa.sa_mask);
    g_signal = 0;
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
      ::sigaction(kSignals[i], &sa, &old_[i]);
    }
  }
  PromptSignals(const PromptSignals &) = delete;
  PromptSignals &operator=(const PromptSignals &) = delete;
  PromptSignals(PromptSignals &&) = delete;
  PromptSignals &operator=(PromptSignals &&) = delete;
  ~PromptSignals() {
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
      ::sigaction(kSignals[i], &old_[i], nullptr);
    }
  }

private:
  static constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> old_{};
};

// Reads up to a newline from the terminal on standard input, its echo
// off; the echo is back before this returns or throws.
std::string ask_on_terminal(const std::string &prompt) {
  termios old{};
  if (::tcgetattr(STDIN_FILENO, &old) != 0) {
    throw SysError("standard input", "read the terminal's settings", errno);
  }
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  std::string line;
  int interrupted = 0;
  {
    PromptSignals signals;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet); // before the prompt: nothing typed is echoed
    std::cerr << prompt << std::flush;
    for (char c = 0;;) {
      const ssize_t n = ::read(STDIN_FILENO, &c, 1);
      if (n < 0 && errno == EINTR && g_signal == 0) {
        continue;
      }
      if (n <= 0 || c == '\n') {
        break;
      }
      line += c;
    }
    interrupted = g_signal;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << '\n' << std::flush;
  }
  if (interrupted != 0) {
    throw Interrupted(interrupted);
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

} // namespace

std::string password_line(std::istream &in) {
  std::string line;
  if (!std::getline(in, line)) {
    throw InputError("--password-stdin: standard input holds no password (one line)");
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

std::string target_password(const std::string &target, const std::string &identity,
                            bool from_stdin) {
  if (from_stdin) {
    if (!identity.empty()) {
      throw InputError("--password-stdin and --identity: log in either by key or by password");
    }
    return password_line(std::cin);
  }
  if (!identity.empty() || ::isatty(STDIN_FILENO) != 1) {
    return {};
  }
  const remote::SshUrl url = remote::parse_ssh_url(target);
  return ask_on_terminal(fmt::format("{}@{}'s password: ", url.user, url.host));
}

} // namespace kvmr::cli
