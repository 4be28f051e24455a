// TargetMount: the prepared data filesystem mounted read-write in a private
// directory, recorded in the registry; or a mounted directory used as it is
// (see target.hpp).
#include "rescue/disk/blkid.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"
#include "rescue/volume/loop.hpp"
#include "rescue/volume/mount.hpp"
#include "rescue/volume/registry.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace kvmr::target {

struct TargetMount::Impl {
  // Destroyed in reverse: the mount (in ~Impl), the loop, the directory,
  // then the registry record.
  explicit Impl(const std::string &run_dir) : registry(run_dir) {}
  Impl(const Impl &) = delete;
  Impl &operator=(const Impl &) = delete;
  Impl(Impl &&) = delete;
  Impl &operator=(Impl &&) = delete;
  ~Impl() {
    if (mounted && dir) {
      const int fd = ::open(dir->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) {
        ::syncfs(fd);
        ::close(fd);
      }
      volume::unmount_if_mounted(dir->path());
    }
  }
  volume::Registry registry;
  std::unique_ptr<volume::TempDir> dir;
  volume::LoopDevice loop;
  bool mounted = false;
};

namespace {

std::string fs_type_of(const std::string &dev) {
  UniqueFd fd = open_read_only(dev);
  auto pr = disk::blkid::superblock_probe(fd.get(), dev, 0, 0);
  if (disk::blkid::safeprobe(pr.get()) != disk::ProbeOutcome::found) {
    return {};
  }
  return disk::blkid::lookup(pr.get(), "TYPE").value_or("");
}

} // namespace

TargetMount::~TargetMount() = default;

std::unique_ptr<TargetMount> TargetMount::mount_prepared(const PreparedTarget &t,
                                                         const std::string &run_dir) {
  volume::reap_stale_runs(run_dir);
  std::unique_ptr<TargetMount> m(new TargetMount);
  m->impl_ = std::make_unique<Impl>(run_dir);
  Impl &impl = *m->impl_;
  impl.dir = std::make_unique<volume::TempDir>(run_dir, "target-");
  impl.registry.add_dir(impl.dir->path());
  impl.loop = volume::LoopDevice::attach_read_write({t.path, t.data_offset, t.data_size});
  impl.registry.add_loop({impl.loop.path(), t.path, t.data_offset});
  const std::string type = fs_type_of(impl.loop.path());
  if (type != "xfs" && type != "ext4") {
    throw InputError(t.path + ": no xfs or ext4 filesystem at offset " +
                     std::to_string(t.data_offset) + " (found '" + type +
                     "'): is it a prepared target?");
  }
  impl.registry.add_mount(impl.dir->path());
  if (::mount(impl.loop.path().c_str(), impl.dir->path().c_str(), type.c_str(),
              MS_NODEV | MS_NOSUID, nullptr) != 0) {
    throw SysError(t.path,
                   "mount the " + type + " data filesystem (through " + impl.loop.path() + ") on " +
                       impl.dir->path(),
                   errno);
  }
  impl.mounted = true;
  m->root_ = impl.dir->path();
  return m;
}

std::unique_ptr<TargetMount> TargetMount::use_directory(const std::string &dir) {
  const TargetInfo info = inspect_target(dir); // throws unless a mount point
  if (info.kind != Kind::directory) {
    throw InputError(dir + " is not a directory");
  }
  if (info.read_only) {
    throw InputError(dir + " is mounted read-only; mount the new data disk read-write");
  }
  std::unique_ptr<TargetMount> m(new TargetMount);
  m->root_ = std::filesystem::canonical(dir).string();
  return m;
}

} // namespace kvmr::target
