// inspect_target: what PATH is, how much it can hold, and who uses it,
// without changing anything (see target.hpp).
#include "rescue/disk/blkid.hpp"
#include "rescue/disk/probe.hpp"
#include "rescue/target/mountinfo.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace kvmr::target {
namespace fs = std::filesystem;

std::string fs_uuid_of(const std::string &dev) {
  try {
    UniqueFd fd = open_read_only(dev);
    auto pr = disk::blkid::superblock_probe(fd.get(), dev, 0, 0);
    if (disk::blkid::safeprobe(pr.get()) == disk::ProbeOutcome::found) {
      return disk::blkid::lookup(pr.get(), "UUID").value_or("");
    }
  } catch (const std::exception &) {
    // not a readable block device (tmpfs, overlay, no permission)
  }
  return {};
}

namespace {

void inspect_directory(const std::string &path, TargetInfo &info) {
  std::error_code ec;
  const std::string canon = fs::canonical(path, ec).string();
  if (ec) {
    throw InputError(path + ": cannot resolve the directory: " + ec.message());
  }
  const MountEntry *found = nullptr;
  const auto mounts = read_mountinfo();
  for (const auto &m : mounts) {
    if (m.mount_point == canon) {
      found = &m; // the last one is the one on top
    }
  }
  if (found == nullptr) {
    throw InputError(path +
                     " is not the mount point of a filesystem; mount the new data disk there");
  }
  struct statvfs sv {};
  if (::statvfs(canon.c_str(), &sv) != 0) {
    throw SysError(path, "statvfs", errno);
  }
  info.capacity = static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize;
  info.fs_type = found->fs_type;
  info.fs_source = found->source;
  info.dev = makedev(found->major, found->minor);
  info.read_only = has_option(found->mount_options, "ro");
  const std::string node =
      "/dev/block/" + std::to_string(found->major) + ":" + std::to_string(found->minor);
  info.fs_uuid = fs_uuid_of(fs::exists(node, ec) ? node : found->source);
}

// True when the block device RDEV is an active swap area (/proc/swaps).
bool is_swap(dev_t rdev) {
  std::ifstream in("/proc/swaps");
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    const std::string file = line.substr(0, line.find_first_of(" \t"));
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == rdev) {
      return true;
    }
  }
  return false;
}

// Mounts of block device NAME or of any of its partitions, holders, and
// loop devices whose backing file is the device node itself.
void device_users(const std::string &name, std::vector<std::string> &in_use) {
  std::vector<std::string> names{name};
  for (auto &p : partitions_of(name)) {
    names.push_back(std::move(p));
  }
  const auto mounts = read_mountinfo();
  for (const auto &n : names) {
    unsigned major = 0;
    unsigned minor = 0;
    if (block_numbers(n, major, minor)) {
      for (const auto &m : mounts) {
        if (m.major == major && m.minor == minor) {
          in_use.push_back("/dev/" + n + " is mounted on " + m.mount_point);
        }
      }
    }
    for (const auto &h : holders_of(n)) {
      in_use.push_back(fmt::format("/dev/{} is held by {}", n, h));
    }
    if (block_numbers(n, major, minor) && is_swap(makedev(major, minor))) {
      in_use.push_back("/dev/" + n + " is in use as swap");
    }
  }
}

void inspect_block(const std::string &path, const struct stat &st, TargetInfo &info) {
  const std::string name = block_name(major(st.st_rdev), minor(st.st_rdev));
  info.dev = st.st_rdev;
  if (!name.empty()) {
    if (const std::string parent = parent_disk(name); !parent.empty()) {
      info.partition_of = "/dev/" + parent;
    }
    device_users(name, info.in_use);
    info.loop_backing = read_sys_line("/sys/class/block/" + name + "/loop/backing_file");
  }
  for (const auto &loop : loops_backed_by(st.st_dev, st.st_ino)) {
    // a loop over the device node: same identity as the node's inode
    info.in_use.push_back(fmt::format("{} is a loop device over {}", loop, path));
  }
}

void inspect_image(const std::string &path, const struct stat &st, TargetInfo &info) {
  info.dev = st.st_dev;
  info.ino = st.st_ino;
  const auto mounts = read_mountinfo();
  for (const auto &loop : loops_backed_by(st.st_dev, st.st_ino)) {
    std::string what = fmt::format("{} is a loop device over {}", loop, path);
    const std::string name = fs::path(loop).filename().string();
    unsigned major = 0;
    unsigned minor = 0;
    if (block_numbers(name, major, minor)) {
      for (const auto &m : mounts) {
        if (m.major == major && m.minor == minor) {
          what += " (mounted on " + m.mount_point + ")";
        }
      }
    }
    info.in_use.push_back(std::move(what));
  }
}

} // namespace

TargetInfo inspect_target(const std::string &path) {
  TargetInfo info;
  info.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      throw InputError(path + " does not exist; give a mounted directory, a disk or an image file");
    }
    throw SysError(path, "stat", err);
  }
  if (S_ISDIR(st.st_mode)) {
    info.kind = Kind::directory;
    inspect_directory(path, info);
    return info;
  }
  if (S_ISBLK(st.st_mode)) {
    info.kind = Kind::device;
    inspect_block(path, st, info);
  } else if (S_ISREG(st.st_mode)) {
    info.kind = Kind::image;
    inspect_image(path, st, info);
  } else {
    throw InputError(path + " is neither a directory, a block device nor a regular image file");
  }
  SystemCommandRunner runner;
  disk::ProbeOptions opts;
  opts.smart = false;
  info.disk = disk::probe_disk(path, runner, opts);
  info.capacity = data_capacity(info.disk->size, info.disk->logical_sector_size, Layout{});
  return info;
}

} // namespace kvmr::target
