// The target candidates for the wizard (see targets.hpp).
#include "rescue/flow/targets.hpp"

#include "rescue/text/text.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/labels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace kvmr::flow {
namespace {

namespace fs = std::filesystem;

const char *const kBootMounts[] = {"/", "/run/live/medium", "/lib/live/mount/medium"};

std::string base_name(const std::string &path) {
  return fs::path(path).filename().string();
}

bool starts_with(const std::string &s, const std::string &prefix) {
  return s.rfind(prefix, 0) == 0;
}

// PATH with symlinks resolved where they exist (/dev/disk/by-id/... ->
// /dev/sdc); PATH itself otherwise.
std::string resolved(const std::string &path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

bool same_path(const std::string &a, const std::string &b) {
  return a == b || resolved(a) == resolved(b);
}

bool contains_path(const std::vector<std::string> &paths, const std::string &path) {
  return std::any_of(paths.begin(), paths.end(),
                     [&](const std::string &p) { return same_path(p, path); });
}

bool is_rom(const disk::Disk &d) {
  const std::string name = base_name(resolved(d.path));
  if (starts_with(name, "sr") || starts_with(name, "scd")) {
    return true;
  }
  // SCSI peripheral type 5: CD/DVD.
  return d.device.is_block_device &&
         target::read_sys_line("/sys/class/block/" + name + "/device/type") == "5";
}

bool is_iso_labelled_medium(const disk::Filesystem &fs) {
  return fs.type == "iso9660" && fs.label == kRescueMediumLabel;
}

} // namespace

bool is_rescue_medium(const disk::Disk &d) {
  if (is_rom(d)) {
    return true;
  }
  if (d.whole_disk && is_iso_labelled_medium(*d.whole_disk)) {
    return true;
  }
  return std::any_of(d.table.partitions.begin(), d.table.partitions.end(),
                     [](const disk::Partition &p) { return is_iso_labelled_medium(p.fs); });
}

namespace {

bool is_loop(const disk::Disk &d) {
  return d.device.transport == "loop" || starts_with(base_name(resolved(d.path)), "loop");
}

// Whole disks under block device NAME: itself or its parent when it is a
// partition; through a device-mapper (or md) device's slaves.
void whole_disks_of(const std::string &name, std::set<std::string> &out, int depth = 0) {
  if (name.empty() || depth > 8) {
    return;
  }
  std::error_code ec;
  const fs::path slaves = "/sys/class/block/" + name + "/slaves";
  bool any = false;
  for (fs::directory_iterator it(slaves, ec), end; !ec && it != end; it.increment(ec)) {
    any = true;
    whole_disks_of(it->path().filename().string(), out, depth + 1);
  }
  if (any) {
    return;
  }
  const std::string parent = target::parent_disk(name);
  out.insert("/dev/" + (parent.empty() ? name : parent));
}

std::string contents(const disk::Disk &d, const target::Layout &layout) {
  switch (d.status) {
  case disk::DiskStatus::error: return "unreadable: " + d.error;
  case disk::DiskStatus::blank: return "empty";
  default: break;
  }
  for (const auto &p : d.table.partitions) {
    const bool old_label = p.fs.label == kOldDataLabel && !is_iso_labelled_medium(p.fs);
    if (p.fs.outcome == disk::ProbeOutcome::found && (p.fs.label == layout.label || old_label)) {
      return "kvm-rescue data disk";
    }
  }
  if (!d.table.type.empty()) {
    const std::size_t n = d.table.partitions.size();
    return fmt::format("{}, {} partition{}", d.table.type == "gpt" ? "GPT" : "MBR", n,
                       n == 1 ? "" : "s");
  }
  if (d.whole_disk && d.whole_disk->outcome == disk::ProbeOutcome::found) {
    return fmt::format("{} {}", d.whole_disk->type,
                       d.whole_disk->type == "LVM2_member" ? "physical volume" : "filesystem");
  }
  return "unrecognised content";
}

TargetCandidate directory_candidate(const std::string &path, const std::vector<disk::Disk> &sources,
                                    std::uint64_t bytes_needed, const target::Layout &layout) {
  TargetCandidate c;
  c.path = path;
  c.is_directory = true;
  try {
    const target::TargetInfo info = target::inspect_target(path);
    c.capacity = info.capacity;
    c.description = fmt::format("directory on {}{}, {} free", info.fs_type,
                                info.fs_source.empty() ? "" : fmt::format(" ({})", info.fs_source),
                                text::human_size(info.capacity));
    c.refusals = target::refusals(info, sources, bytes_needed, layout);
  } catch (const InputError &e) {
    c.description = "directory";
    c.refusals.emplace_back(e.what());
  }
  return c;
}

TargetCandidate disk_candidate(const std::string &path, const disk::Disk *probed,
                               const std::vector<disk::Disk> &sources, std::uint64_t bytes_needed,
                               const target::Layout &layout) {
  TargetCandidate c;
  c.path = path;
  try {
    const target::TargetInfo info = target::inspect_target(path);
    const disk::Disk *d = probed != nullptr ? probed : (info.disk ? &*info.disk : nullptr);
    if (d != nullptr) {
      c.description = describe_disk(*d, layout);
      c.capacity = target::data_capacity(
          d->size, d->logical_sector_size != 0 ? d->logical_sector_size : 512U, layout);
    }
    c.refusals = target::refusals(info, sources, bytes_needed, layout);
  } catch (const InputError &e) {
    if (probed != nullptr) {
      c.description = describe_disk(*probed, layout);
    }
    c.refusals.emplace_back(e.what());
  }
  return c;
}

} // namespace

std::vector<std::string> boot_disks(const std::vector<target::MountEntry> &mounts) {
  std::set<std::string> found;
  for (const auto &m : mounts) {
    if (std::find(std::begin(kBootMounts), std::end(kBootMounts), m.mount_point) ==
        std::end(kBootMounts)) {
      continue;
    }
    // A block device's numbers; an overlay or tmpfs root has none here (a
    // live system's medium is then the mount that counts).
    whole_disks_of(target::block_name(m.major, m.minor), found);
  }
  return {found.begin(), found.end()};
}

std::vector<std::string> offered_paths(const std::vector<disk::Disk> &all,
                                       const std::vector<std::string> &explicit_paths,
                                       const std::vector<std::string> &boot) {
  std::vector<std::string> out;
  const auto excluded = [&](const std::string &path, const disk::Disk *d) {
    if (contains_path(boot, path) || contains_path(out, path)) {
      return true;
    }
    return d != nullptr && is_rescue_medium(*d);
  };
  const auto probed = [&](const std::string &path) -> const disk::Disk * {
    for (const auto &d : all) {
      if (same_path(d.path, path)) {
        return &d;
      }
    }
    return nullptr;
  };
  for (const auto &path : explicit_paths) {
    if (!excluded(path, probed(path))) {
      out.push_back(path);
    }
  }
  for (const auto &d : all) {
    if (excluded(d.path, &d) || is_loop(d)) {
      continue;
    }
    out.push_back(d.path);
  }
  return out;
}

std::string describe_disk(const disk::Disk &d, const target::Layout &layout) {
  std::string what = d.device.model;
  if (what.empty()) {
    what = d.device.is_block_device && !is_loop(d) ? "disk" : "disk image";
  }
  return fmt::format("{}, {}, {}", what, text::human_size(d.size), contents(d, layout));
}

std::vector<std::string> mounted_data_dirs(const std::vector<target::MountEntry> &mounts,
                                           const std::vector<std::string> &boot) {
  static const std::set<std::string> kDataFs{"xfs", "ext4", "ext3", "btrfs"};
  std::vector<std::string> out;
  for (const auto &m : mounts) {
    const std::string &mp = m.mount_point;
    if (m.major == 0 || !kDataFs.contains(m.fs_type) || mp == "/" || mp == "/boot" ||
        starts_with(mp, "/boot/") || starts_with(mp, "/run/kvm-rescue") ||
        std::find(std::begin(kBootMounts), std::end(kBootMounts), mp) != std::end(kBootMounts) ||
        std::find(out.begin(), out.end(), mp) != out.end()) {
      continue;
    }
    std::set<std::string> disks;
    whole_disks_of(target::block_name(m.major, m.minor), disks);
    const bool on_boot = std::any_of(disks.begin(), disks.end(), [&](const std::string &d) {
      return std::find(boot.begin(), boot.end(), d) != boot.end();
    });
    if (!on_boot) {
      out.push_back(mp);
    }
  }
  return out;
}

std::vector<TargetCandidate> target_candidates(const std::vector<disk::Disk> &all,
                                               const std::vector<std::string> &explicit_paths,
                                               const std::vector<disk::Disk> &sources,
                                               std::uint64_t bytes_needed,
                                               const target::Layout &layout) {
  std::vector<target::MountEntry> mounts;
  try {
    mounts = target::read_mountinfo();
  } catch (const std::exception &) {
    // Without mountinfo nothing is known to be the boot medium; the
    // refusals still see a mounted disk as in use.
  }
  std::vector<TargetCandidate> out;
  const std::vector<std::string> boot = boot_disks(mounts);
  std::vector<std::string> paths = offered_paths(all, explicit_paths, boot);
  for (const auto &dir : mounted_data_dirs(mounts, boot)) {
    if (!contains_path(paths, dir)) {
      paths.push_back(dir);
    }
  }
  for (const auto &path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      out.push_back(directory_candidate(path, sources, bytes_needed, layout));
      continue;
    }
    const disk::Disk *probed = nullptr;
    for (const auto &d : all) {
      if (same_path(d.path, path)) {
        probed = &d;
        break;
      }
    }
    out.push_back(disk_candidate(path, probed, sources, bytes_needed, layout));
  }
  return out;
}

} // namespace kvmr::flow
