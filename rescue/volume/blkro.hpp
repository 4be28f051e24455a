// The kernel's read-only flag on a source block device (BLKROSET): set
// while kvm-rescue reads it, put back as it was afterwards.
#pragma once

#include <string>

namespace kvmr::volume {

class ReadOnlyGuard {
public:
  // Sets DEVICE read-only; remembers whether it already was. Throws
  // SysError when the ioctl fails.
  explicit ReadOnlyGuard(std::string device);
  ReadOnlyGuard(const ReadOnlyGuard &) = delete;
  ReadOnlyGuard &operator=(const ReadOnlyGuard &) = delete;
  ReadOnlyGuard(ReadOnlyGuard &&other) noexcept;
  ReadOnlyGuard &operator=(ReadOnlyGuard &&) = delete;
  ~ReadOnlyGuard();

  [[nodiscard]] const std::string &device() const { return device_; }
  [[nodiscard]] bool was_read_only() const { return previous_; }
  // Keeps the flag set past this object's life (a mount-ro session).
  void release() noexcept { device_.clear(); }

private:
  std::string device_;
  bool previous_ = false;
};

// Sets DEVICE's read-only flag back to PREVIOUS when it differs. Never
// throws; returns whether it changed the flag.
bool restore_read_only_flag(const std::string &device, bool previous) noexcept;

} // namespace kvmr::volume
