// The data disk of a directory target (see dir_data_disk.hpp).
#include "rescue/flow/dir_data_disk.hpp"

#include "rescue/scan/host_path.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace kvmr::flow {
namespace fs = std::filesystem;

namespace {

// "/dev/sdb1 (xfs, UUID 1234...)" or "/dev/sdb1 (xfs, no UUID found)".
std::string described(const DirDataDisk &d) {
  const std::string uuid = d.fs_uuid.empty() ? "no UUID found" : "UUID " + d.fs_uuid;
  return d.fs_type.empty() ? fmt::format("{} ({})", d.device, uuid)
                           : fmt::format("{} ({}, {})", d.device, d.fs_type, uuid);
}

std::string sys_line(const std::string &path) {
  return target::read_sys_line(path);
}

} // namespace

const target::MountEntry *mount_holding(const std::vector<target::MountEntry> &mounts,
                                        const std::string &dir) {
  const target::MountEntry *found = nullptr;
  for (const auto &m : mounts) {
    if (scan::is_under(dir, m.mount_point) &&
        (found == nullptr || m.mount_point.size() >= found->mount_point.size())) {
      found = &m;
    }
  }
  return found;
}

LvmName split_lvm_dm_name(const std::string &name) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '-') {
      parts.back() += name[i];
    } else if (i + 1 < name.size() && name[i + 1] == '-') {
      parts.back() += '-'; // "--" is one '-' inside a name
      ++i;
    } else {
      parts.emplace_back();
    }
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    throw InputError(fmt::format("device-mapper name '{}' is not an LVM name VG-LV (with each "
                                 "'-' in a name doubled)",
                                 name));
  }
  return {parts[0], parts[1], parts.size() == 3 ? parts[2] : std::string()};
}

namespace {

// What a non-LVM device-mapper device is, from its uuid's prefix.
std::string dm_kind(const std::string &uuid) {
  const std::string prefix = uuid.substr(0, uuid.find('-'));
  if (prefix == "CRYPT") {
    return "a dm-crypt (LUKS) device-mapper device";
  }
  if (prefix == "mpath") {
    return "a multipath device-mapper device";
  }
  if (prefix.rfind("part", 0) == 0) {
    return "a kpartx partition mapping (device-mapper)";
  }
  if (uuid.empty()) {
    return "a device-mapper device without a uuid (made by hand with dmsetup?)";
  }
  return fmt::format("a device-mapper device of kind {}", prefix);
}

bool is_dm(const std::string &name, const BlockFacts &facts) {
  return !facts.dm_uuid_of(name).empty() || !facts.dm_name_of(name).empty();
}

// The by-id names of the disks under stacked device NAME (recursively
// through LVM and md devices down to partitions or whole disks) into OUT.
void member_disks(const std::string &name, const std::string &where, const BlockFacts &facts,
                  std::vector<std::string> &out, int depth = 0) {
  if (depth > 16) {
    throw InputError(fmt::format("{}: the devices under it nest deeper than 16 levels at "
                                 "/dev/{}: give --data-disk ID",
                                 where, name));
  }
  const std::vector<std::string> slaves = facts.slaves_of(name);
  if (slaves.empty()) {
    const std::string parent = facts.parent_of(name);
    const std::string whole = parent.empty() ? name : parent;
    std::vector<std::string> ids = facts.by_id_of(whole);
    if (ids.empty()) {
      throw InputError(fmt::format(
          "{}, and /dev/{} under it is on /dev/{}, which has no /dev/disk/by-id name the "
          "installer could find it by: the kickstart must keep every disk of the volume",
          where, name, whole));
    }
    std::sort(ids.begin(), ids.end());
    if (std::find(out.begin(), out.end(), ids.front()) == out.end()) {
      out.push_back(ids.front());
    }
    return;
  }
  for (const auto &s : slaves) {
    const std::string uuid = facts.dm_uuid_of(s);
    if (is_dm(s, facts) && uuid.rfind("LVM-", 0) != 0) {
      throw InputError(fmt::format("{}, which is built on /dev/{}, {}: the installer cannot "
                                   "open it unattended; give --data-disk ID",
                                   where, s, dm_kind(uuid)));
    }
    member_disks(s, where, facts, out, depth + 1);
  }
}

// D on the LVM LV or md array NAME: names and every disk under it; false
// when NAME is neither. WHERE says what was found, for the errors.
bool on_stack(DirDataDisk &d, const std::string &name, const std::string &where,
              const BlockFacts &facts) {
  if (is_dm(name, facts)) {
    const std::string uuid = facts.dm_uuid_of(name);
    if (uuid.rfind("LVM-", 0) != 0) {
      throw InputError(fmt::format("{}, {}: the kickstart mounts the data only from a "
                                   "partition, a whole disk, an LVM logical volume or an md "
                                   "array; give --data-disk ID and --data-partition ID if a "
                                   "partition holds it",
                                   where, dm_kind(uuid)));
    }
    const LvmName n = split_lvm_dm_name(facts.dm_name_of(name));
    if (!n.layer.empty()) {
      throw InputError(fmt::format("{}, the LVM internal volume {} (layer {}) of VG {}: mount "
                                   "the logical volume itself",
                                   where, n.lv, n.layer, n.vg));
    }
    d.stack = DataStack::lvm;
    d.vg = n.vg;
    d.lv = n.lv;
  } else if (const std::string md = facts.md_array_of(name); !md.empty()) {
    d.stack = DataStack::md;
    d.md = md;
  } else {
    return false;
  }
  member_disks(name, where, facts, d.member_disks);
  std::sort(d.member_disks.begin(), d.member_disks.end());
  d.disk = d.member_disks.front();
  d.partition.clear();
  return true;
}

// D (its device NAME) on the disk the installer finds by its first by-id
// name, or on an LVM LV or md array; WHERE says what was found, for the
// errors.
DirDataDisk on_disk(DirDataDisk d, const std::string &name, const std::string &where,
                    const BlockFacts &facts) {
  if (on_stack(d, name, where, facts)) {
    return d;
  }
  if (facts.is_stacked(name)) {
    throw InputError(where + ", a device built on others that is neither LVM nor md: the "
                             "kickstart mounts the data only from a partition, a whole disk, "
                             "an LVM logical volume or an md array; give --data-disk ID and "
                             "--data-partition ID if a partition holds it");
  }
  const std::string parent = facts.parent_of(name);
  const std::string whole = parent.empty() ? name : parent;
  std::vector<std::string> ids = facts.by_id_of(whole);
  std::sort(ids.begin(), ids.end()); // as plan::identify_disk records them
  if (ids.empty()) {
    throw InputError(fmt::format("{}, and its disk /dev/{} has no /dev/disk/by-id name the "
                                 "installer could find it by: give the data disk with "
                                 "--data-disk ID (and --data-partition ID when it is not "
                                 "partition 1)",
                                 where, whole));
  }
  d.disk = ids.front();
  if (parent.empty()) {
    d.partition = d.disk; // a filesystem on the whole disk: `part --onpart=<disk>`
  } else {
    const unsigned n = facts.partition_number(name);
    if (n == 0) {
      throw InputError(fmt::format("{}: sysfs gives no partition number for {}: give "
                                   "--data-disk ID and --data-partition ID",
                                   where, d.device));
    }
    d.partition = fmt::format("{}-part{}", d.disk, n);
  }
  return d;
}

} // namespace

DirDataDisk dir_data_disk(const std::string &target, const std::string &dir,
                          const std::vector<target::MountEntry> &mounts, const BlockFacts &facts,
                          const std::string &planned_uuid) {
  const target::MountEntry *m = mount_holding(mounts, dir);
  DirDataDisk d;
  std::string name;
  if (m != nullptr) {
    name = m->major == 0 ? std::string() : facts.name_of(m->major, m->minor);
    if (name.empty() && m->source.rfind("/dev/", 0) == 0) {
      name = facts.name_of_path(m->source); // btrfs: its numbers are not its device's
    }
    d.mount_point = m->mount_point;
    d.fs_type = m->fs_type;
    d.device = name.empty() ? m->source : "/dev/" + name;
    if (!name.empty()) {
      d.fs_uuid = facts.fs_uuid_of(name);
    }
  }
  const bool on_root = m == nullptr || m->mount_point == "/";
  if (on_root && !planned_uuid.empty() && d.fs_uuid != planned_uuid) {
    // Not mounted (any more): the planned filesystem, if it is attached.
    const std::string unmounted = facts.name_of_uuid(planned_uuid);
    if (!unmounted.empty()) {
      DirDataDisk u;
      u.device = "/dev/" + unmounted;
      u.fs_uuid = planned_uuid;
      return on_disk(u, unmounted,
                     fmt::format("the plan's target {} is not mounted here; its filesystem is {}",
                                 target, described(u)),
                     facts);
    }
  }
  if (m == nullptr) {
    throw InputError(fmt::format("the plan's target {}: no mounted filesystem holds it{}: give the "
                                 "data disk with --data-disk ID",
                                 target,
                                 planned_uuid.empty() ? std::string()
                                                      : " and no filesystem with the plan's UUID " +
                                                            planned_uuid + " is attached here"));
  }
  if (on_root) {
    throw InputError(fmt::format(
        "the plan's target {} is on the root filesystem {} of this machine, not on a disk of "
        "its own: the kickstart keeps the data disk untouched while it reinstalls the OS disk, "
        "so the rescued VMs must be on a filesystem of their own; mount the data disk there{}",
        target, described(d),
        planned_uuid.empty()
            ? std::string()
            : " (the plan's filesystem, UUID " + planned_uuid + ", is not attached here)"));
  }
  const std::string where = fmt::format("the plan's target {} is on {} mounted at {}", target,
                                        described(d), d.mount_point);
  if (name.empty()) {
    throw InputError(where + ", which is not on a block device: the installer cannot find it; "
                             "give the data disk with --data-disk ID");
  }
  if (!planned_uuid.empty() && !d.fs_uuid.empty() && planned_uuid != d.fs_uuid) {
    throw InputError(fmt::format("{}, but the plan's target had filesystem UUID {}: mount the "
                                 "planned filesystem there, or give --data-disk ID",
                                 where, planned_uuid));
  }
  return on_disk(d, name, where, facts);
}

BlockFacts system_block_facts() {
  BlockFacts f;
  f.name_of = [](unsigned major, unsigned minor) { return target::block_name(major, minor); };
  f.name_of_path = [](const std::string &path) {
    std::error_code ec;
    const fs::path real = fs::canonical(path, ec);
    if (ec || real.parent_path() != "/dev") {
      return std::string();
    }
    return real.filename().string();
  };
  f.name_of_uuid = [name_of_path = f.name_of_path](const std::string &uuid) {
    std::error_code ec;
    const std::string link = "/dev/disk/by-uuid/" + uuid;
    return uuid.find('/') == std::string::npos && fs::exists(link, ec) ? name_of_path(link)
                                                                       : std::string();
  };
  f.parent_of = [](const std::string &name) { return target::parent_disk(name); };
  f.partition_number = [](const std::string &name) {
    const std::string s = sys_line("/sys/class/block/" + name + "/partition");
    try {
      return s.empty() ? 0U : static_cast<unsigned>(std::stoul(s));
    } catch (const std::exception &) {
      return 0U;
    }
  };
  f.by_id_of = [](const std::string &name) {
    std::vector<std::string> out;
    std::error_code ec;
    const fs::path dev = fs::path("/dev") / name;
    for (fs::directory_iterator it("/dev/disk/by-id", ec), end; !ec && it != end;
         it.increment(ec)) {
      std::error_code ec2;
      if (fs::canonical(it->path(), ec2) == dev && !ec2) {
        out.push_back(it->path().string());
      }
    }
    return out;
  };
  f.is_stacked = [](const std::string &name) {
    std::error_code ec;
    const fs::directory_iterator it("/sys/class/block/" + name + "/slaves", ec);
    return !ec && it != fs::directory_iterator();
  };
  f.slaves_of = [](const std::string &name) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it("/sys/class/block/" + name + "/slaves", ec), end;
         !ec && it != end; it.increment(ec)) {
      out.push_back(it->path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  f.dm_uuid_of = [](const std::string &name) {
    return sys_line("/sys/class/block/" + name + "/dm/uuid");
  };
  f.dm_name_of = [](const std::string &name) {
    return sys_line("/sys/class/block/" + name + "/dm/name");
  };
  f.md_array_of = [](const std::string &name) {
    std::error_code ec;
    if (!fs::is_directory("/sys/class/block/" + name + "/md", ec)) {
      return std::string();
    }
    const fs::path dev = fs::path("/dev") / name;
    std::vector<std::string> names;
    for (fs::directory_iterator it("/dev/md", ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code ec2;
      if (fs::canonical(it->path(), ec2) == dev && !ec2) {
        names.push_back(it->path().filename().string());
      }
    }
    std::sort(names.begin(), names.end());
    return names.empty() ? name : names.front();
  };
  f.fs_uuid_of = [](const std::string &name) { return target::fs_uuid_of("/dev/" + name); };
  return f;
}

DirDataDisk dir_data_disk_here(const std::string &target, const std::string &planned_uuid) {
  std::error_code ec;
  const std::string dir = fs::canonical(target, ec).string();
  if (ec) { // not here: only the planned filesystem's UUID can find it
    if (planned_uuid.empty()) {
      throw InputError(fmt::format("the plan's target {}: cannot resolve the directory on this "
                                   "machine ({}): give the data disk with --data-disk ID",
                                   target, ec.message()));
    }
    return dir_data_disk(target, target, {}, system_block_facts(), planned_uuid);
  }
  return dir_data_disk(target, dir, target::read_mountinfo(), system_block_facts(), planned_uuid);
}

} // namespace kvmr::flow
