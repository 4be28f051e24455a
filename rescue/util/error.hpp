// Exceptions of the core library: a failed operation carries what it was
// doing, on which path or device, and the errno it failed with.
#pragma once

#include <stdexcept>
#include <string>

namespace kvmr {

// A system call or library call failed. what() reads
// "<path>: <action>: <strerror(errno)>".
class SysError : public std::runtime_error {
public:
  SysError(std::string path, std::string action, int err);

  [[nodiscard]] const std::string &path() const noexcept { return path_; }
  [[nodiscard]] int error_code() const noexcept { return errno_; }
  // "<action>: <strerror(errno)>", for messages that name the path already.
  [[nodiscard]] const std::string &reason() const noexcept { return reason_; }

private:
  std::string path_;
  std::string reason_;
  int errno_;
};

// Input that cannot be used (bad data on a disk, a bad argument).
class InputError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace kvmr
