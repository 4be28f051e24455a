// Read-only mounts without log replay, in private temporary directories:
// XFS ro,norecovery,nouuid; ext3/ext4 ro,noload; always nodev,nosuid,noexec.
// A mount that fails is reported with the kernel's own words (its log lines
// about the device), not only errno.
#pragma once

#include "rescue/util/error.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace kvmr::volume {

// The mount(2) data string for FSTYPE: "norecovery,nouuid" for xfs,
// "noload" for ext3/ext4, "" otherwise.
std::string read_only_mount_data(const std::string &fstype);

class Mount {
public:
  // Mounts DEVICE (a block device) of FSTYPE on TARGET (an existing
  // directory) read-only. Throws MountError on failure.
  static Mount read_only(const std::string &device, const std::string &target,
                         const std::string &fstype);

  Mount() = default;
  Mount(const Mount &) = delete;
  Mount &operator=(const Mount &) = delete;
  Mount(Mount &&other) noexcept : target_(std::move(other.target_)) { other.target_.clear(); }
  Mount &operator=(Mount &&other) noexcept;
  ~Mount();

  [[nodiscard]] const std::string &target() const { return target_; }
  // Unmounts now; throws SysError when the kernel refuses.
  void unmount();
  // Leaves it mounted (for `mount-ro`, whose mounts outlive the process).
  void release() noexcept { target_.clear(); }

private:
  explicit Mount(std::string target) : target_(std::move(target)) {}
  std::string target_;
};

class MountError : public std::runtime_error {
public:
  MountError(const std::string &what, int error_code, std::vector<std::string> kernel_lines)
      : std::runtime_error(what), error_code_(error_code), kernel_lines_(std::move(kernel_lines)) {}
  // mount(2)'s errno: ENODEV when this kernel has no driver for the type.
  [[nodiscard]] int error_code() const { return error_code_; }
  [[nodiscard]] const std::vector<std::string> &kernel_lines() const { return kernel_lines_; }

private:
  int error_code_;
  std::vector<std::string> kernel_lines_;
};

// A mount that needs what this kernel does not have (device-mapper for an
// LV in several pieces). The libguestfs appliance may have it.
class KernelLacks : public InputError {
public:
  using InputError::InputError;
};

// Unmounts TARGET if it is a mount point now; lazy detach as the last
// resort. Never throws; returns whether something was unmounted.
bool unmount_if_mounted(const std::string &target) noexcept;

// PATH as /proc/self/mountinfo names a mount there: absolute, its parent
// resolved (symbolic links, ".."), PATH itself not touched (a dead
// filesystem's root cannot be stat()ed).
std::string mount_path_of(const std::string &path);

// True when PATH is a mount point (in /proc/self/mountinfo); also when
// the filesystem mounted there no longer answers.
bool is_mount_point(const std::string &path);

// A private directory (mode 0700) made under PARENT, removed (only when
// empty) by the destructor.
class TempDir {
public:
  explicit TempDir(const std::string &parent, const std::string &prefix = "tree-");
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  TempDir(TempDir &&other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir &operator=(TempDir &&) = delete;
  ~TempDir();
  [[nodiscard]] const std::string &path() const { return path_; }
  void release() noexcept { path_.clear(); }

private:
  std::string path_;
};

} // namespace kvmr::volume
