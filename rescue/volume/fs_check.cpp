// No-modify filesystem checks (see fs_check.hpp).
#include "rescue/volume/fs_check.hpp"

#include <fmt/format.h>

#include <chrono>
#include <sstream>
#include <string_view>

namespace kvmr::volume {
namespace {

constexpr std::size_t kMaxFindings = 20;
constexpr std::chrono::minutes kTimeout{30};

bool is_ext(const std::string &fstype) {
  return fstype == "ext2" || fstype == "ext3" || fstype == "ext4";
}

// Lines of OUT that say something: not progress banners ("Phase 1 - ...",
// "        - scan filesystem freespace..."), not blank.
std::vector<std::string> findings(const std::string &out, bool xfs) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line) && lines.size() < kMaxFindings) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) {
      continue;
    }
    line = line.substr(first);
    const auto starts = [&line](std::string_view p) { return line.rfind(p, 0) == 0; };
    // Progress and banners, and xfs_repair's note about image files.
    if (xfs && (starts("Phase ") || starts("- ") || starts("No modify flag set") ||
                starts("Cannot get host filesystem geometry") || starts("Repair may fail") ||
                starts("the image and the host filesystem"))) {
      continue;
    }
    if (!xfs && (starts("Pass ") || starts("e2fsck ") || starts("Filesystem features:"))) {
      continue;
    }
    lines.push_back(line);
  }
  return lines;
}

} // namespace

const char *to_string(FsCheckVerdict v) {
  switch (v) {
  case FsCheckVerdict::clean: return "clean";
  case FsCheckVerdict::problems: return "problems";
  case FsCheckVerdict::dirty_log: return "dirty_log";
  case FsCheckVerdict::failed: return "failed";
  case FsCheckVerdict::not_available: return "not_available";
  }
  return "?";
}

std::vector<std::string> fs_check_command(const std::string &fstype, const std::string &device) {
  if (fstype == "xfs") {
    // -n: no modify; -f: DEVICE may be an image file.
    return {"xfs_repair", "-n", "-f", device};
  }
  if (is_ext(fstype)) {
    // -n: open read-only, answer "no" to everything; -f: check even if clean.
    return {"e2fsck", "-n", "-f", device};
  }
  return {};
}

FsCheck check_filesystem(const std::string &device, const std::string &fstype,
                         CommandRunner &runner) {
  FsCheck c;
  c.device = device;
  c.fstype = fstype;
  c.command = fs_check_command(fstype, device);
  if (c.command.empty()) {
    c.summary = fmt::format("no no-modify checker for {} filesystems", fstype);
    return c;
  }
  const CommandResult r = runner.run(c.command, kTimeout);
  c.exit_code = r.exit_code;
  if (r.not_found) {
    c.summary = fmt::format("{} is not installed", c.command.front());
    return c;
  }
  if (r.timed_out) {
    c.verdict = FsCheckVerdict::failed;
    c.summary =
        fmt::format("{} did not finish within {} minutes", c.command.front(), kTimeout.count());
    return c;
  }
  const bool xfs = fstype == "xfs";
  c.findings = findings(r.out + r.err, xfs);
  if (xfs) {
    // xfs_repair -n: 0 clean, 1 corruption found; a dirty log is reported
    // on stderr with exit 2 ("ERROR: The filesystem has valuable metadata
    // changes in a log").
    const bool dirty = (r.out + r.err).find("metadata changes in a log") != std::string::npos;
    if (dirty) {
      c.verdict = FsCheckVerdict::dirty_log;
      c.summary = "the XFS log holds changes that were never written back; mounting without "
                  "log replay shows the state before them";
    } else if (r.exit_code == 0) {
      c.verdict = FsCheckVerdict::clean;
      c.summary = "xfs_repair -n found no damage";
    } else if (r.exit_code == 1 && (r.out + r.err).find("Phase 1") != std::string::npos) {
      // Exit 1 also means "could not open"; a check that ran shows its phases.
      c.verdict = FsCheckVerdict::problems;
      c.summary =
          (r.out + r.err).find("could not find valid secondary superblock") != std::string::npos
              ? "xfs_repair -n found no valid XFS superblock"
              : "xfs_repair -n found damage it would repair";
    } else {
      c.verdict = FsCheckVerdict::failed;
      c.summary = fmt::format("xfs_repair -n could not check (exit {})", r.exit_code);
    }
    return c;
  }
  // e2fsck: bit 0 errors corrected (not with -n), bit 2 errors left
  // uncorrected, bit 3 operational error, bit 4 usage, bit 7 library error.
  const bool journal = (r.out + r.err).find("skipping journal recovery") != std::string::npos;
  if (journal && r.exit_code >= 0 && (r.exit_code & ~5) == 0) {
    c.verdict = FsCheckVerdict::dirty_log;
    c.summary = "the ext4 journal holds changes that were never written back; mounting without "
                "journal replay shows the state before them";
  } else if (r.exit_code == 0) {
    c.verdict = FsCheckVerdict::clean;
    c.summary = "e2fsck -n found no damage";
  } else if (r.exit_code >= 0 && (r.exit_code & ~5) == 0) {
    c.verdict = FsCheckVerdict::problems;
    c.summary = "e2fsck -n found damage it would repair";
  } else {
    c.verdict = FsCheckVerdict::failed;
    c.summary = fmt::format("e2fsck -n could not check (exit {})", r.exit_code);
  }
  return c;
}

} // namespace kvmr::volume
