// One wizard at a time (see wizard_lock.hpp).
#include "tui/wizard_lock.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kvmr::tui {

WizardLock::WizardLock(WizardLock &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {
}

WizardLock &WizardLock::operator=(WizardLock &&other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

WizardLock::~WizardLock() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::string describe_this_wizard() {
  const char *tty = ::ttyname(STDIN_FILENO);
  return fmt::format("pid {} on {}", ::getpid(), tty != nullptr ? tty : "no terminal");
}

std::optional<WizardLock> WizardLock::take(std::string &holder, const std::string &path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  // O_NOFOLLOW and a regular file only: a symlink planted at the lock's
  // path must not make the wizard truncate and write what it points to.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd < 0) {
    holder = fmt::format("{}: cannot open the wizard lock: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    holder = fmt::format("{}: the wizard lock is not a regular file", path);
    return std::nullopt;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::array<char, 256> buf{};
    const ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
    ::close(fd);
    holder = n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : "another process";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
      holder.pop_back();
    }
    return std::nullopt;
  }
  const std::string me = describe_this_wizard() + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    // The lock holds all the same; only the holder's name is missing.
    holder.clear();
  }
  return WizardLock(fd);
}

} // namespace kvmr::tui
