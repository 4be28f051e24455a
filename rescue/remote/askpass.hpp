// The password of a network target handed to ssh without a file, a
// command line or a terminal: an askpass program (SSH_ASKPASS, with
// SSH_ASKPASS_REQUIRE=force) that lives only in this process's memory.
//
// It is a tiny sh script in a memfd (no file system, so a noexec /run
// or /tmp does not matter), named by /proc/PID/fd/N, PID this process:
// ssh closes the descriptors it inherits, but may open ours by that path
// (same user). The script prints the password with sh's builtin printf,
// so it appears in no process's arguments. Closing it (the destructor)
// frees the password; ssh asks for it only while it authenticates.
#pragma once

#include <string>

namespace kvmr::remote {

class AskpassProgram {
public:
  // Throws InputError when PASSWORD is empty or holds a line break (ssh
  // reads one line) or a NUL, SysError when the memfd cannot be made.
  explicit AskpassProgram(const std::string &password);
  AskpassProgram(const AskpassProgram &) = delete;
  AskpassProgram &operator=(const AskpassProgram &) = delete;
  AskpassProgram(AskpassProgram &&) = delete;
  AskpassProgram &operator=(AskpassProgram &&) = delete;
  ~AskpassProgram();

  // "/proc/PID/fd/N": what SSH_ASKPASS names.
  [[nodiscard]] const std::string &path() const { return path_; }

private:
  int fd_ = -1;
  std::string path_;
};

} // namespace kvmr::remote
