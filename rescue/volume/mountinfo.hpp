// /proc/self/mountinfo as values: what is mounted where, from which
// device, with which options. Shared by the unmount helpers (volume) and
// the target checks (target, flow).
#pragma once

#include <string>
#include <vector>

namespace kvmr::volume {

struct MountEntry {
  unsigned major = 0;
  unsigned minor = 0;
  std::string root;        // the directory of the filesystem mounted here
  std::string mount_point; // unescaped
  std::string fs_type;
  std::string source; // unescaped; "none", "tmpfs" ... for virtual ones
  std::string mount_options;
  std::string super_options;
};

// Every line of FILE (default /proc/self/mountinfo), in order.
std::vector<MountEntry> read_mountinfo(const std::string &file = "/proc/self/mountinfo");

// True when OPTIONS (comma-separated) contains OPTION exactly.
bool has_option(const std::string &options, const std::string &option);

} // namespace kvmr::volume
