// The optional no-modify filesystem check: `xfs_repair -n` for XFS,
// `e2fsck -n -f` for ext2/3/4, run on a read-only loop device of the
// source volume (or an image file in tests). Neither tool writes in this
// mode, and the read-only loop device would refuse it if one tried. The
// outcome is a verdict for people, never a repair: nothing here runs a
// repairing fsck on a source.
#pragma once

#include "rescue/util/command.hpp"

#include <string>
#include <vector>

namespace kvmr::volume {

enum class FsCheckVerdict {
  clean,        // the tool found nothing wrong
  problems,     // it found damage it would repair (listed in findings)
  dirty_log,    // XFS: the log holds changes a repair would have to replay or zero
  failed,       // the tool could not check (operational error, timeout)
  not_available // no checker for this filesystem type, or the tool is missing
};

const char *to_string(FsCheckVerdict v);

struct FsCheck {
  std::string device;
  std::string fstype;
  std::vector<std::string> command; // what ran, for the report
  FsCheckVerdict verdict = FsCheckVerdict::not_available;
  int exit_code = -1;
  std::string summary;               // one sentence
  std::vector<std::string> findings; // the tool's own lines about the damage (at most 20)
};

// The command for FSTYPE on DEVICE; empty when there is no no-modify checker.
std::vector<std::string> fs_check_command(const std::string &fstype, const std::string &device);

// Runs the check. Never throws.
FsCheck check_filesystem(const std::string &device, const std::string &fstype,
                         CommandRunner &runner);

} // namespace kvmr::volume
