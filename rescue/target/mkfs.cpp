// mkfs command lines and running them (see mkfs.hpp).
#include "rescue/target/mkfs.hpp"

#include "rescue/util/error.hpp"

#include <chrono>

namespace kvmr::target {
namespace {

// mkfs of a large disk discards it first: allow for a slow device.
constexpr std::chrono::minutes kToolTimeout{60};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

} // namespace

std::vector<std::string> data_mkfs_argv(const std::string &dev, const Layout &layout) {
  if (layout.fs_type == "xfs") {
    std::vector<std::string> argv{"mkfs.xfs", "-f", "-L", layout.label};
    if (layout.el7_compatible) {
      argv.insert(argv.end(), {"-m", "crc=1,finobt=0,rmapbt=0,reflink=0,bigtime=0,inobtcount=0",
                               "-i", "sparse=0", "-n", "ftype=1"});
    }
    argv.push_back(dev);
    return argv;
  }
  if (layout.fs_type == "ext4") {
    std::vector<std::string> argv{"mkfs.ext4", "-F", "-q", "-L", layout.label};
    if (layout.el7_compatible) {
      argv.insert(argv.end(), {"-O", "^metadata_csum,^metadata_csum_seed,^orphan_file,uninit_bg"});
    }
    argv.push_back(dev);
    return argv;
  }
  throw InputError("unknown data filesystem type '" + layout.fs_type +
                   "': the target can be made xfs or ext4");
}

std::vector<std::string> oemdrv_mkfs_argv(const std::string &path, std::uint64_t offset,
                                          std::uint64_t size, unsigned sector_size) {
  // FAT16 up to 512 MiB (mkfs.fat would guess from the whole image). -I:
  // on a real disk the kernel has just made partitions from our new GPT,
  // and without it mkfs.fat refuses a whole disk that has partitions; the
  // filesystem goes at the OEMDRV partition's offset all the same.
  std::vector<std::string> argv{"mkfs.vfat", "-I", "-F",
                                size < 512 * (std::uint64_t{1} << 20U) ? "16" : "32"};
  if (sector_size != 512) {
    argv.insert(argv.end(), {"-S", std::to_string(sector_size)});
  }
  argv.insert(argv.end(), {"--offset=" + std::to_string(offset / sector_size), "-n", "OEMDRV", path,
                           std::to_string(size / 1024)});
  return argv;
}

void run_tool(CommandRunner &runner, const std::vector<std::string> &argv,
              const std::string &what) {
  const CommandResult r = runner.run(argv, kToolTimeout);
  if (r.not_found) {
    throw InputError(what + ": " + argv.at(0) + " is not installed");
  }
  if (r.timed_out || r.exit_code != 0) {
    std::string msg =
        what + ": " + argv.at(0) +
        (r.timed_out ? " timed out" : " failed (exit " + std::to_string(r.exit_code) + ")");
    if (const std::string err = trim(r.err); !err.empty()) {
      msg += ": " + err;
    }
    throw InputError(msg);
  }
}

} // namespace kvmr::target
