// The network target's password for ssh, in memory only (see askpass.hpp).
#include "rescue/remote/askpass.hpp"

#include "kickstart/shell_quote.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace kvmr::remote {
namespace {

#ifndef MFD_EXEC
constexpr unsigned kMfdExec = 0x0010U; // Linux 6.3: an executable memfd, said outright
#else
constexpr unsigned kMfdExec = MFD_EXEC;
#endif

int make_memfd() {
  int fd = ::memfd_create("kvm-rescue-askpass", MFD_CLOEXEC | kMfdExec);
  if (fd < 0 && errno == EINVAL) { // a kernel before 6.3 knows no MFD_EXEC
    fd = ::memfd_create("kvm-rescue-askpass", MFD_CLOEXEC);
  }
  if (fd < 0) {
    throw SysError("memfd", "create the askpass program", errno);
  }
  return fd;
}

void write_all(int fd, const std::string &text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw SysError("memfd", "write the askpass program", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

} // namespace

AskpassProgram::AskpassProgram(const std::string &password) {
  if (password.empty()) {
    throw InputError("the password is empty");
  }
  if (password.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    throw InputError("the password holds a line break or a NUL byte, which ssh cannot take");
  }
  fd_ = make_memfd();
  try {
    write_all(fd_, "#!/bin/sh\nprintf '%s\\n' " + kickstart::shell_quote(password) + "\n");
    if (::fchmod(fd_, 0700) != 0) {
      throw SysError("memfd", "chmod the askpass program", errno);
    }
  } catch (...) {
    ::close(fd_);
    throw;
  }
  path_ = fmt::format("/proc/{}/fd/{}", ::getpid(), fd_);
}

AskpassProgram::~AskpassProgram() {
  ::close(fd_);
}

} // namespace kvmr::remote
