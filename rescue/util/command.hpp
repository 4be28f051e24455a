// Running external tools (smartctl, later xfs_repair -n, qemu-img): the
// seam in front of them, so tests can stand in for a tool, and the one
// real implementation, which never goes through a shell.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace kvmr {

struct CommandResult {
  // Exit status when the program exited; -1 when it could not be started,
  // 128+N when killed by signal N (as a shell reports it).
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
  bool not_found = false; // the program does not exist on this machine
};

class CommandRunner {
public:
  CommandRunner() = default;
  CommandRunner(const CommandRunner &) = delete;
  CommandRunner &operator=(const CommandRunner &) = delete;
  CommandRunner(CommandRunner &&) = delete;
  CommandRunner &operator=(CommandRunner &&) = delete;
  virtual ~CommandRunner() = default;

  // Runs ARGV[0] (looked up in PATH) with the arguments, no shell, stdin
  // from /dev/null, collecting stdout and stderr. Kills it after TIMEOUT.
  virtual CommandResult run(const std::vector<std::string> &argv,
                            std::chrono::milliseconds timeout) = 0;
};

class SystemCommandRunner final : public CommandRunner {
public:
  CommandResult run(const std::vector<std::string> &argv,
                    std::chrono::milliseconds timeout) override;
};

} // namespace kvmr
