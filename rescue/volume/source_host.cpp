// Assembling the dead host's read-only tree through the kernel (see
// source_host.hpp).
#include "rescue/volume/source_host.hpp"

#include "rescue/util/ascii.hpp"

#include "rescue/disk/fs_probe.hpp"
#include "rescue/disk/probe.hpp"
#include "rescue/lvm/volume_map.hpp"
#include "rescue/util/error.hpp"
#include "rescue/volume/device_mapper.hpp"
#include "rescue/volume/fstab.hpp"
#include "rescue/volume/volume_check.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <map>

namespace kvmr::volume {
namespace {

constexpr std::uint64_t kMaxFstab = 1U << 20U;

bool mountable(const std::string &fstype) {
  return fstype == "xfs" || fstype == "ext2" || fstype == "ext3" || fstype == "ext4" ||
         fstype == "btrfs" || fstype == "vfat";
}

std::string base_name(const std::string &path) {
  return std::filesystem::path(path).filename().string();
}

} // namespace

// The steps of open(), sharing the host under construction.
struct SourceHost::Builder {
  explicit Builder(SourceHost &host) : h(host) {}
  SourceHost &h;
  std::map<std::string, UniqueFd> fds; // source path -> read-only fd
  std::vector<lvm::PvLabel> pvs;
  std::map<std::string, lvm::LvMap> lv_maps;        // "vg/lv" -> map, for device-mapper
  std::string dm_problem = device_mapper_problem(); // empty: device-mapper works

  void guard_sources(const std::vector<std::string> &sources) {
    for (const auto &s : sources) {
      struct stat st {};
      if (::stat(s.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) {
        ReadOnlyGuard g(s);
        h.registry_.add_blkro({s, g.was_read_only()});
        h.report_.notes.push_back(g.was_read_only()
                                      ? s + " was already read-only"
                                      : s + " set read-only (BLKROSET); restored at the end");
        h.read_only_.push_back(std::move(g));
      }
      fds.emplace(s, open_read_only(s));
    }
  }

  void add_region_volume(const std::string &path, const std::string &name, const std::string &kind,
                         const disk::Filesystem &fs, const std::string &partuuid, std::uint64_t off,
                         std::uint64_t size) {
    if (fs.outcome != disk::ProbeOutcome::found || fs.type == "swap") {
      return;
    }
    if (fs.type == "LVM2_member") {
      try {
        pvs.push_back(lvm::read_pv_label(fds.at(path).get(), path, off, size));
      } catch (const std::exception &e) {
        h.report_.problems.push_back(name + ": LVM2 PV unreadable: " + e.what());
      }
      return;
    }
    Volume v;
    v.name = name;
    v.kind = kind;
    v.fstype = fs.type;
    v.uuid = fs.uuid;
    v.label = fs.label;
    v.partuuid = partuuid;
    v.backing = path;
    v.offset = off;
    v.size = size;
    h.report_.volumes.push_back(v);
  }

  void find_volumes(const std::vector<std::string> &sources) {
    SystemCommandRunner runner;
    disk::ProbeOptions po;
    po.smart = false;
    for (const auto &s : sources) {
      const disk::Disk d = disk::probe_disk(s, runner, po);
      if (d.status == disk::DiskStatus::error) {
        h.report_.problems.push_back(s + ": " + d.error);
        continue;
      }
      if (d.whole_disk) {
        add_region_volume(s, base_name(s), "disk", *d.whole_disk, "", 0, d.size);
      }
      for (const auto &p : d.table.partitions) {
        const std::uint64_t size = std::min(p.size, d.size > p.start ? d.size - p.start : 0);
        add_region_volume(s, fmt::format("{} p{}", base_name(s), p.number), "partition", p.fs,
                          p.uuid, p.start, size);
      }
    }
    add_logical_volumes();
  }

  void add_logical_volumes() {
    const lvm::Assembly a = lvm::assemble_volume_groups(pvs);
    for (const auto &p : a.problems) {
      h.report_.problems.push_back("LVM: " + p);
    }
    for (const auto &vg : a.vgs) {
      for (const auto &p : vg.problems) {
        h.report_.problems.push_back(fmt::format("LVM VG {}: {}", vg.vg.name, p));
      }
      for (const auto &lv : vg.lvs) {
        if (!lv.visible || lv.size == 0) {
          continue;
        }
        const std::string name = vg.vg.name + "/" + lv.name;
        const auto access = lvm::lv_access(lv);
        h.report_.lvs.push_back({name, lv.size,
                                 access == lvm::LvAccess::loop_at_offset  ? "loop_at_offset"
                                 : access == lvm::LvAccess::device_mapper ? "device_mapper"
                                                                          : "unavailable",
                                 lv.problems});
        if (!lv.complete()) {
          h.report_.problems.push_back(
              fmt::format("LV {}: {}", name, fmt::join(lv.problems, "; ")));
          continue;
        }
        if (access == lvm::LvAccess::device_mapper && !dm_problem.empty()) {
          h.report_.notes.push_back(
              fmt::format("LV {} lies in several pieces: mounting it needs device-mapper, which "
                          "this kernel does not have ({}); its bytes stay readable through its "
                          "segment map",
                          name, dm_problem));
        }
        lv_maps.emplace(name, lv);
        const auto first = lvm::resolve(lv, 0);
        const auto run = lvm::single_run(lv);
        const std::uint64_t probe_len = run ? run->length : first.length;
        const disk::Filesystem fs = disk::probe_filesystem(fds.at(first.path).get(), first.path,
                                                           first.device_offset, probe_len);
        if (fs.outcome != disk::ProbeOutcome::found || fs.type == "swap") {
          continue;
        }
        Volume v;
        v.name = name;
        v.kind = "lv";
        v.fstype = fs.type;
        v.uuid = fs.uuid;
        v.label = fs.label;
        v.backing = first.path;
        v.offset = first.device_offset;
        v.size = lv.size;
        v.contiguous = run.has_value();
        h.report_.volumes.push_back(v);
      }
    }
  }

  // What one mount_volume attached, so unmount_last can undo exactly that.
  struct Attached {
    std::size_t loops = 0;
    std::size_t dms = 0;
    std::string volume; // Volume::name
  };
  std::vector<Attached> attached;
  std::map<std::string, std::string> mounted_from; // Volume::name -> its block device

  // A read-only loop device of BACKING from OFFSET (SIZE bytes, 0: to the
  // end); recorded before it is returned.
  LoopDevice attach_loop(const std::string &backing, std::uint64_t offset, std::uint64_t size) {
    LoopDevice loop = LoopDevice::attach_read_only({backing, offset, size});
    h.registry_.add_loop({loop.path(), backing, offset});
    return loop;
  }

  // A read-only device-mapper device of the multi-run LV V, over whole-file
  // loop devices of its PVs' backings (appended to LOOPS).
  DmDevice attach_dm(const Volume &v, std::vector<LoopDevice> &loops) {
    if (!dm_problem.empty()) {
      throw KernelLacks(v.name +
                        " is an LV in several pieces: mounting it needs device-mapper, "
                        "which this kernel does not have (" +
                        dm_problem + "); its bytes stay readable through its segment map");
    }
    const lvm::LvMap &lv = lv_maps.at(v.name);
    std::map<std::string, std::string> devices;
    for (const auto &r : lvm::byte_ranges(lv)) {
      if (devices.contains(r.path)) {
        continue;
      }
      loops.push_back(attach_loop(r.path, 0, 0));
      struct stat st {};
      if (::stat(loops.back().path().c_str(), &st) != 0) {
        throw SysError(loops.back().path(), "stat", errno);
      }
      devices[r.path] = fmt::format("{}:{}", major(st.st_rdev), minor(st.st_rdev));
    }
    const auto table = dm_table(lv, devices);
    const auto slash = v.name.find('/');
    const std::string name = dm_device_name(static_cast<int>(::getpid()), v.name.substr(0, slash),
                                            v.name.substr(slash + 1));
    h.registry_.add_dm(name);
    return DmDevice::create_read_only(name, table);
  }

  // The volume's block device (loop, or device-mapper over loops) and its
  // mount at TARGET; records all of it before returning.
  void mount_volume(Volume &v, const std::string &target, const std::string &as) {
    std::vector<LoopDevice> loops;
    DmDevice dm;
    std::string dev;
    if (v.contiguous) {
      loops.push_back(attach_loop(v.backing, v.offset, v.size));
      dev = loops.back().path();
    } else {
      dm = attach_dm(v, loops);
      dev = dm.path();
    }
    h.registry_.add_mount(target);
    Mount m = Mount::read_only(dev, target, v.fstype);
    attached.push_back({loops.size(), dm.name().empty() ? 0U : 1U, v.name});
    mounted_from[v.name] = dev;
    for (auto &l : loops) {
      h.loops_.push_back(std::move(l));
    }
    if (!dm.name().empty()) {
      h.dms_.push_back(std::move(dm));
    }
    h.mounts_.push_back(std::move(m));
    v.mountpoint = as;
  }

  void unmount_last() {
    h.tree_.reset();
    if (h.mounts_.empty() || attached.empty()) {
      return;
    }
    h.mounts_.back().unmount();
    h.mounts_.pop_back();
    const Attached a = attached.back();
    attached.pop_back();
    mounted_from.erase(a.volume);
    for (std::size_t i = 0; i < a.dms; ++i) {
      h.dms_.back().remove();
      h.dms_.pop_back();
    }
    for (std::size_t i = 0; i < a.loops; ++i) {
      h.loops_.back().detach();
      h.loops_.pop_back();
    }
  }

  bool looks_like_root() {
    h.tree_ = std::make_unique<MountedTree>(h.tree_path_);
    const bool fstab = h.tree_->lstat("/etc/fstab").has_value();
    const bool release = h.tree_->lstat("/etc/os-release").has_value() ||
                         h.tree_->lstat("/etc/centos-release").has_value() ||
                         h.tree_->lstat("/etc/redhat-release").has_value();
    return fstab && release;
  }

  void find_root() {
    auto &vols = h.report_.volumes;
    // LVs called root first (CentOS: centos/root), then the rest in order.
    std::stable_sort(vols.begin(), vols.end(), [](const Volume &a, const Volume &b) {
      const auto rootish = [](const Volume &v) {
        return v.kind == "lv" && v.name.substr(v.name.find('/') + 1) == "root";
      };
      return rootish(a) && !rootish(b);
    });
    for (auto &v : vols) {
      if (!mountable(v.fstype) || v.fstype == "vfat" || (!v.contiguous && !dm_problem.empty())) {
        continue;
      }
      try {
        mount_volume(v, h.tree_path_, "/");
      } catch (const std::exception &e) {
        v.problem = e.what();
        continue;
      }
      if (looks_like_root()) {
        h.report_.root_volume = v.name;
        return;
      }
      v.mountpoint.clear();
      unmount_last();
    }
    throw InputError("no root filesystem (one with /etc/fstab and /etc/os-release or "
                     "/etc/centos-release) was found on " +
                     fmt::format("{}", fmt::join(h.report_.problems, "; ")));
  }

  Volume *resolve(const std::string &spec) {
    const VolumeRef ref = parse_spec(spec);
    for (auto &v : h.report_.volumes) {
      switch (ref.kind) {
      case VolumeRef::Kind::uuid:
        if (ascii_lower(v.uuid) == ref.value)
          return &v;
        break;
      case VolumeRef::Kind::label:
        if (!v.label.empty() && v.label == ref.value)
          return &v;
        break;
      case VolumeRef::Kind::partuuid:
        if (!v.partuuid.empty() && v.partuuid == ref.value)
          return &v;
        break;
      case VolumeRef::Kind::lvm:
        if (v.kind == "lv" && v.name == ref.value)
          return &v;
        break;
      default: break;
      }
    }
    return nullptr;
  }

  void mount_fstab() {
    const std::string text = h.tree_->read_file("/etc/fstab", kMaxFstab);
    auto entries = parse_fstab(text);
    std::stable_sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) {
      return std::count(a.mountpoint.begin(), a.mountpoint.end(), '/') <
             std::count(b.mountpoint.begin(), b.mountpoint.end(), '/');
    });
    for (const auto &e : entries) {
      FstabResult r{e.spec, e.mountpoint, e.fstype, "", "skipped", "", false};
      if (!is_local_mount(e)) {
        r.detail = "not a local filesystem to mount";
      } else if (e.mountpoint == "/") {
        r.volume = h.report_.root_volume;
        r.status = "mounted";
        r.detail = "the root filesystem";
      } else if (Volume *v = resolve(e.spec); v == nullptr) {
        r.status = "unresolved";
        r.detail = "no volume on the given disks matches " + e.spec;
        h.report_.problems.push_back(
            fmt::format("fstab line {}: {} for {}: not found", e.line, e.spec, e.mountpoint));
      } else {
        r.volume = v->name;
        mount_entry(*v, e, r);
      }
      h.report_.fstab.push_back(r);
    }
  }

  void mount_entry(Volume &v, const FstabEntry &e, FstabResult &r) {
    const auto st = h.tree_->lstat(e.mountpoint);
    if (!st || st->type != io::FileType::directory) {
      r.status = "failed";
      r.detail = "the mount point " + e.mountpoint + " is not a directory on the old root";
    } else {
      try {
        h.tree_.reset(); // no fd may pin the tree while mounting inside it
        mount_volume(v, h.tree_path_ + e.mountpoint, e.mountpoint);
        r.status = "mounted";
      } catch (const KernelLacks &ex) {
        r.status = "failed";
        r.detail = ex.what();
        r.kernel_lacks = true;
      } catch (const MountError &ex) {
        r.status = "failed";
        r.detail = ex.what();
        r.kernel_lacks = ex.error_code() == ENODEV;
      } catch (const std::exception &ex) {
        r.status = "failed";
        r.detail = ex.what();
      }
      h.tree_ = std::make_unique<MountedTree>(h.tree_path_);
    }
    if (r.status == "failed") {
      v.problem = r.detail;
      h.report_.problems.push_back(fmt::format("{} ({}): {}", e.mountpoint, v.name, r.detail));
    }
  }
};

SourceHost::SourceHost(const OpenOptions &opts) : registry_(opts.run_dir) {
}

std::unique_ptr<SourceHost> SourceHost::open(const std::vector<std::string> &sources,
                                             const OpenOptions &opts) {
  const CleanupReport stale = reap_stale_runs(opts.run_dir);
  std::unique_ptr<SourceHost> h(new SourceHost(opts));
  for (const auto &d : stale.done) {
    h->report_.notes.push_back("left by a killed run, cleaned up: " + d);
  }
  for (const auto &f : stale.failed) {
    h->report_.problems.push_back("left by a killed run: " + f);
  }
  Builder b(*h);
  b.guard_sources(sources);
  b.find_volumes(sources);
  if (opts.tree_dir.empty()) {
    h->top_ = std::make_unique<TempDir>(opts.run_dir, "tree-");
    h->registry_.add_dir(h->top_->path());
    h->tree_path_ = h->top_->path();
  } else {
    std::error_code ec;
    if (!std::filesystem::is_directory(opts.tree_dir, ec) ||
        !std::filesystem::is_empty(opts.tree_dir, ec) || is_mount_point(opts.tree_dir)) {
      throw InputError(opts.tree_dir + ": must be an existing, empty directory that is not a "
                                       "mount point");
    }
    h->tree_path_ = std::filesystem::canonical(opts.tree_dir).string();
  }
  h->report_.tree = h->tree_path_;
  b.find_root();
  b.mount_fstab();
  if (opts.check) {
    SystemCommandRunner system;
    check_volumes(h->report_.volumes, b.mounted_from,
                  opts.check_runner != nullptr ? *opts.check_runner : system);
  }
  return h;
}

SourceHost::~SourceHost() {
  tree_.reset();
  for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) {
    *it = Mount(); // unmounts
  }
  for (auto it = dms_.rbegin(); it != dms_.rend(); ++it) {
    *it = DmDevice(); // removes
  }
  for (auto it = loops_.rbegin(); it != loops_.rend(); ++it) {
    *it = LoopDevice(); // detaches
  }
}

void SourceHost::keep_mounted() {
  tree_.reset();
  for (auto &m : mounts_) {
    m.release();
  }
  for (auto &d : dms_) {
    d.release(); // `umount DIR` removes it (recorded in the session)
  }
  for (auto &l : loops_) {
    l.release(); // autoclear: freed when its mount (or device-mapper device) goes
  }
  for (auto &g : read_only_) {
    g.release();
  }
  if (top_) {
    top_->release();
  }
  registry_.keep_as_session(report_.tree);
}

} // namespace kvmr::volume
