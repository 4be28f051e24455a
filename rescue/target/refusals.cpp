// refusals: every reason a target must not be written, in plain words that
// name the target and the source it collides with (see target.hpp).
#include "rescue/target/mountinfo.hpp"
#include "rescue/target/partition_plan.hpp"
#include "rescue/target/target.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <map>

namespace kvmr::target {
namespace {

std::string gib(std::uint64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / static_cast<double>(1ULL << 30U));
}

// What a path is, by identity.
struct Ident {
  bool ok = false;
  bool block = false;
  std::uint64_t rdev = 0; // block devices
  std::uint64_t dev = 0;  // regular files: the filesystem they are on
  std::uint64_t ino = 0;
};

Ident ident_of(const std::string &path) {
  Ident id;
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    return id;
  }
  id.ok = true;
  id.block = S_ISBLK(st.st_mode);
  id.rdev = id.block ? st.st_rdev : 0;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  return id;
}

bool same(const Ident &a, const Ident &b) {
  if (!a.ok || !b.ok || a.block != b.block) {
    return false;
  }
  return a.block ? a.rdev == b.rdev : (a.dev == b.dev && a.ino == b.ino);
}

// The block device numbers of source disk SRC and its partitions.
std::vector<std::uint64_t> block_family(const Ident &src) {
  std::vector<std::uint64_t> out;
  if (!src.block) {
    return out;
  }
  out.push_back(src.rdev);
  const std::string name = block_name(major(src.rdev), minor(src.rdev));
  for (const auto &p : partitions_of(name)) {
    unsigned ma = 0;
    unsigned mi = 0;
    if (block_numbers(p, ma, mi)) {
      out.push_back(makedev(ma, mi));
    }
  }
  return out;
}

// The identifiers a disk carries, each with what it is in words.
std::map<std::string, std::string> identifiers(const disk::Disk &d) {
  std::map<std::string, std::string> ids;
  auto add_fs = [&ids](const disk::Filesystem &fs) {
    if (!fs.uuid.empty()) {
      ids.emplace(fs.uuid, fs.type == "LVM2_member" ? "PV UUID" : "filesystem UUID");
    }
  };
  if (!d.table.id.empty()) {
    ids.emplace(d.table.id, "partition table id");
  }
  for (const auto &p : d.table.partitions) {
    if (!p.uuid.empty()) {
      ids.emplace(p.uuid, "partition UUID (PARTUUID)");
    }
    add_fs(p.fs);
  }
  if (d.whole_disk) {
    add_fs(*d.whole_disk);
  }
  return ids;
}

void directory_refusals(const TargetInfo &t, const std::vector<disk::Disk> &sources,
                        std::vector<std::string> &out) {
  if (t.fs_type.empty()) {
    out.push_back(t.path +
                  " is not the mount point of a filesystem; mount the new data disk there");
    return;
  }
  if (t.read_only) {
    out.push_back(t.path + " is mounted read-only; mount the new data disk read-write");
  }
  // The loop device the filesystem is on, if any, and its backing file.
  const std::string fs_dev_name = block_name(major(t.dev), minor(t.dev));
  const std::string fs_backing =
      fs_dev_name.empty() ? std::string{}
                          : read_sys_line("/sys/class/block/" + fs_dev_name + "/loop/backing_file");
  for (const auto &src : sources) {
    const Ident s = ident_of(src.path);
    if (!t.fs_uuid.empty()) {
      for (const auto &[id, what] : identifiers(src)) {
        if (id == t.fs_uuid) {
          out.push_back(fmt::format("{} is on a filesystem with {} {} of the source disk {}",
                                    t.path, what, id, src.path) +
                        ": it looks like a copy or part of the dead host's disk; refusing to "
                        "write to it");
        }
      }
    }
    for (const auto rdev : block_family(s)) {
      if (rdev == t.dev) {
        out.push_back(t.path + " is on the source disk " + src.path + " (" + t.fs_source +
                      "); refusing to write to it");
      }
    }
    if (s.ok && !s.block) {
      if (s.dev == t.dev) {
        out.push_back(t.path + " is on the same filesystem as the source image " + src.path +
                      "; put the copy on another disk");
      } else if (same(ident_of(fs_backing), s)) {
        out.push_back(t.path + " is on " + t.fs_source + ", a loop device over the source image " +
                      src.path + "; refusing to write to it");
      }
    }
  }
}

void disk_refusals(const TargetInfo &t, const std::vector<disk::Disk> &sources,
                   const Layout &layout, std::uint64_t needed, std::vector<std::string> &out) {
  const Ident me = ident_of(t.path);
  if (!t.partition_of.empty()) {
    out.push_back(t.path + " is a partition of " + t.partition_of +
                  "; give the whole disk (the installer looks for OEMDRV on a disk's own table)");
  }
  if (t.disk && t.disk->device.read_only.value_or(false)) {
    out.push_back(t.path + " is read-only (its read-only flag is set)");
  }
  const Ident backing = ident_of(t.loop_backing);
  const Ident parent = ident_of(t.partition_of);
  for (const auto &src : sources) {
    const Ident s = ident_of(src.path);
    if (same(me, s)) {
      out.push_back(t.path + " is the source disk " + src.path + "; refusing to write to it");
      continue;
    }
    if (same(parent, s)) {
      out.push_back(t.path + " is a partition of the source disk " + src.path +
                    "; refusing to write to it");
    }
    if (same(backing, s)) {
      out.push_back(t.path + " is a loop device over the source " + src.path +
                    "; refusing to write to it");
    }
    if (me.block && s.block) {
      const auto fam = block_family(me);
      for (std::size_t i = 1; i < fam.size(); ++i) {
        if (fam[i] == s.rdev) {
          out.push_back(t.path + " holds the source partition " + src.path +
                        "; refusing to write to it");
        }
      }
    }
    if (t.disk) {
      const auto theirs = identifiers(src);
      for (const auto &[id, what] : identifiers(*t.disk)) {
        if (theirs.contains(id)) {
          out.push_back(
              fmt::format("{} carries {} {} of the source disk {}", t.path, what, id, src.path) +
              ": it looks like a copy or part of the dead host's disk; refusing to "
              "write to it");
        }
      }
    }
  }
  for (const auto &u : t.in_use) {
    out.push_back(t.path + " is in use: " + u);
  }
  if (!t.disk) {
    return;
  }
  if (t.disk->status == disk::DiskStatus::error) {
    out.push_back(t.path + " cannot be read: " + t.disk->error);
    return;
  }
  const std::uint64_t cap = data_capacity(t.disk->size, t.disk->logical_sector_size, layout);
  if (cap == 0) {
    out.push_back(t.path + " (" + gib(t.disk->size) + ") is too small for the layout: the " +
                  layout.fs_type + " data partition needs at least " + gib(min_data_size(layout)) +
                  (layout.oemdrv ? " besides the OEMDRV partition" : ""));
  } else if (cap < needed) {
    out.push_back(t.path + " is too small: the copy needs " + gib(needed) +
                  ", its data partition would have " + gib(cap));
  }
}

} // namespace

std::vector<std::string> refusals(const TargetInfo &target, const std::vector<disk::Disk> &sources,
                                  std::uint64_t needed, const Layout &layout) {
  std::vector<std::string> out;
  if (target.kind == Kind::directory) {
    directory_refusals(target, sources, out);
    if (!target.fs_type.empty() && target.capacity < needed) {
      out.push_back(target.path + " is too small: the copy needs " + gib(needed) + ", it has " +
                    gib(target.capacity) + " free");
    }
    return out;
  }
  disk_refusals(target, sources, layout, needed, out);
  return out;
}

} // namespace kvmr::target
