// One wizard at a time works on the disks: the rescue medium starts a
// wizard on every console, and two people (or one person on two consoles)
// must not copy onto the same disk at once. The lock is an flock on a file
// under /run/lock that names its holder; it goes with the process.
#pragma once

#include <optional>
#include <string>

namespace kvmr::tui {

inline constexpr const char *kWizardLockFile = "/run/lock/kvm-rescue-wizard.lock";

class WizardLock {
public:
  WizardLock() = default;
  WizardLock(const WizardLock &) = delete;
  WizardLock &operator=(const WizardLock &) = delete;
  WizardLock(WizardLock &&other) noexcept;
  WizardLock &operator=(WizardLock &&other) noexcept;
  ~WizardLock();

  // Takes the lock at PATH for this process. Returns the lock, or nullopt
  // and in HOLDER the holder's words ("pid 412 on /dev/ttyS0"), or the
  // reason the lock file could not be opened.
  static std::optional<WizardLock> take(std::string &holder,
                                        const std::string &path = kWizardLockFile);

  [[nodiscard]] bool held() const { return fd_ >= 0; }

private:
  explicit WizardLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// "pid N on /dev/ttyX" for this process (its terminal from stdin).
std::string describe_this_wizard();

} // namespace kvmr::tui
