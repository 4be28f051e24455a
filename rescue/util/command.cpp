// SystemCommandRunner: posix_spawnp with pipes and a deadline.
#include "rescue/util/command.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ; // NOLINT(readability-redundant-declaration)

namespace kvmr {
namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw SysError("pipe", "create", errno);
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

class SpawnActions {
public:
  SpawnActions() { posix_spawn_file_actions_init(&fa_); }
  SpawnActions(const SpawnActions &) = delete;
  SpawnActions &operator=(const SpawnActions &) = delete;
  SpawnActions(SpawnActions &&) = delete;
  SpawnActions &operator=(SpawnActions &&) = delete;
  ~SpawnActions() { posix_spawn_file_actions_destroy(&fa_); }
  posix_spawn_file_actions_t *get() { return &fa_; }

private:
  posix_spawn_file_actions_t fa_{};
};

// The child starts with no blocked signals and the default action for the
// ones a front-end blocks or ignores while it works (HoldSignals blocks
// SIGINT/SIGTERM; a test harness may ignore SIGPIPE). Inherited, they
// would make a stuck mkfs or xfs_repair deaf to Ctrl-C and to a SIGTERM
// sent to it. The time-out needs none of this: it sends SIGKILL, which
// cannot be blocked or ignored.
class SpawnAttr {
public:
  SpawnAttr() {
    posix_spawnattr_init(&attr_);
    sigset_t none;
    sigemptyset(&none);
    sigset_t deflt;
    sigemptyset(&deflt);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) {
      sigaddset(&deflt, sig);
    }
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &deflt);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  SpawnAttr(const SpawnAttr &) = delete;
  SpawnAttr &operator=(const SpawnAttr &) = delete;
  SpawnAttr(SpawnAttr &&) = delete;
  SpawnAttr &operator=(SpawnAttr &&) = delete;
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  posix_spawnattr_t *get() { return &attr_; }

private:
  posix_spawnattr_t attr_{};
};

// Drains both pipes until they close or the deadline passes.
bool drain(int out_fd, int err_fd, CommandResult &res,
           std::chrono::steady_clock::time_point deadline) {
  std::array<pollfd, 2> pfd{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
  std::array<std::string *, 2> sinks{&res.out, &res.err};
  int open_count = 2;
  std::array<char, 65536> buf{};
  while (open_count > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    const int r = ::poll(pfd.data(), pfd.size(), static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) {
      throw SysError("poll", "wait for child output", errno);
    }
    for (std::size_t i = 0; i < pfd.size(); ++i) {
      if (pfd[i].fd < 0 || (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      const ssize_t n = ::read(pfd[i].fd, buf.data(), buf.size());
      if (n > 0) {
        sinks[i]->append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        pfd[i].fd = -1;
        --open_count;
      }
    }
  }
  return true;
}

} // namespace

CommandResult SystemCommandRunner::run(const std::vector<std::string> &argv,
                                       std::chrono::milliseconds timeout) {
  CommandResult res;
  if (argv.empty()) {
    throw InputError("run: empty command line");
  }
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  SpawnActions fa;
  posix_spawn_file_actions_addopen(fa.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(fa.get(), out.write.get(), 1);
  posix_spawn_file_actions_adddup2(fa.get(), err.write.get(), 2);

  std::vector<char *> args;
  args.reserve(argv.size() + 1);
  for (const auto &a : argv) {
    args.push_back(const_cast<char *>(a.c_str())); // NOLINT
  }
  args.push_back(nullptr);

  SpawnAttr attr;
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), fa.get(), attr.get(), args.data(), environ);
  if (rc != 0) {
    res.not_found = (rc == ENOENT);
    res.err = argv[0] + ": " + std::strerror(rc);
    return res;
  }
  out.write.close("pipe");
  err.write.close("pipe");

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!drain(out.read.get(), err.read.get(), res, deadline)) {
    // A tool past its time-out is taken as hung: SIGKILL, no SIGTERM first.
    res.timed_out = true;
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw SysError(argv[0], "wait for child", errno);
    }
  }
  if (WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
    // posix_spawnp reports a missing program as exit 127 from the child.
    res.not_found = res.exit_code == 127 && res.out.empty();
  } else if (WIFSIGNALED(status)) {
    res.exit_code = 128 + WTERMSIG(status);
  }
  return res;
}

} // namespace kvmr
