// Read-only loop devices: a region of an image file or block device made a
// block device of its own, so the kernel can mount a partition or an LV
// without partition scanning or device-mapper. Always LO_FLAGS_AUTOCLEAR,
// and LO_FLAGS_READ_ONLY except for the one explicit read-write attach
// (the prepared rescue target, never a source); the owner detaches it (or
// leaves it to a mount with release()).
#pragma once

#include <cstdint>
#include <string>

namespace kvmr::volume {

struct LoopSpec {
  std::string backing;          // image file or block device
  std::uint64_t offset = 0;     // bytes
  std::uint64_t size_limit = 0; // bytes; 0 = to the end
};

class LoopDevice {
public:
  // Finds a free loop device and binds SPEC to it, read-only. Throws
  // SysError naming the backing file on failure.
  static LoopDevice attach_read_only(const LoopSpec &spec);
  // The same, writable: only for the target being prepared or filled.
  static LoopDevice attach_read_write(const LoopSpec &spec);

  LoopDevice() = default;
  LoopDevice(const LoopDevice &) = delete;
  LoopDevice &operator=(const LoopDevice &) = delete;
  LoopDevice(LoopDevice &&other) noexcept;
  LoopDevice &operator=(LoopDevice &&other) noexcept;
  ~LoopDevice();

  [[nodiscard]] const std::string &path() const { return path_; }
  [[nodiscard]] const LoopSpec &spec() const { return spec_; }
  // Detaches now; throws when the kernel refuses (e.g. still mounted).
  void detach();
  // Gives up ownership without detaching: with autoclear the kernel frees
  // the device when its last user (a mount) goes away.
  void release() noexcept;

private:
  static LoopDevice attach(const LoopSpec &spec, bool writable);
  LoopDevice(std::string path, int fd, LoopSpec spec)
      : path_(std::move(path)), fd_(fd), spec_(std::move(spec)) {}
  void reset() noexcept;

  std::string path_;
  int fd_ = -1;
  LoopSpec spec_;
};

// True when loop device DEV (a /dev/loopN path) is bound to BACKING at
// OFFSET right now (from sysfs). Used to clean up after a killed run
// without touching devices that were reused since.
bool loop_bound_to(const std::string &dev, const std::string &backing, std::uint64_t offset);

// Detaches DEV if it is bound to BACKING at OFFSET. Never throws; returns
// whether it detached.
bool detach_if_bound(const std::string &dev, const std::string &backing, std::uint64_t offset);

} // namespace kvmr::volume
