// Disks by identity (see identity.hpp).
#include "rescue/plan/identity.hpp"

#include "rescue/text/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kvmr::plan {
namespace {

void add_uuid(std::vector<std::string> &v, const std::string &uuid) {
  if (!uuid.empty() && std::find(v.begin(), v.end(), uuid) == v.end()) {
    v.push_back(uuid);
  }
}

bool contains(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Something that tells this disk apart from another of the same size: a
// blank disk or an empty image matches any other blank one of its size,
// so only its path can find it again.
bool distinctive(const DiskIdentity &id) {
  return !id.serial.empty() || !id.table_id.empty() || !id.partition_uuids.empty() ||
         !id.fs_uuids.empty();
}

void set_differences(std::vector<std::string> &out, const std::vector<std::string> &planned,
                     const std::vector<std::string> &now, const char *what) {
  for (const auto &u : planned) {
    if (!contains(now, u)) {
      out.push_back(fmt::format("{} {} is gone", what, u));
    }
  }
  for (const auto &u : now) {
    if (!contains(planned, u)) {
      out.push_back(fmt::format("{} {} was not there when planning", what, u));
    }
  }
}

bool shares_by_id(const DiskIdentity &planned, const disk::Disk &d) {
  return std::any_of(d.device.by_id.begin(), d.device.by_id.end(),
                     [&](const std::string &n) { return contains(planned.by_id, n); });
}

std::vector<std::string> differences_of(const DiskIdentity &planned, const disk::Disk &d) {
  if (d.status == disk::DiskStatus::error) {
    return {"cannot be read: " + d.error};
  }
  return identity_differences(planned, identify_disk(d));
}

} // namespace

DiskIdentity identify_disk(const disk::Disk &d) {
  DiskIdentity id;
  id.path = d.path;
  id.by_id = d.device.by_id;
  std::sort(id.by_id.begin(), id.by_id.end());
  id.serial = d.device.serial;
  id.model = d.device.model;
  id.size = d.size;
  id.table_type = d.table.type;
  id.table_id = d.table.id;
  for (const auto &p : d.table.partitions) {
    if (!p.uuid.empty()) {
      id.partition_uuids.push_back(p.uuid);
    }
    add_uuid(id.fs_uuids, p.fs.uuid);
  }
  if (d.whole_disk) {
    add_uuid(id.fs_uuids, d.whole_disk->uuid);
  }
  std::sort(id.fs_uuids.begin(), id.fs_uuids.end());
  return id;
}

std::vector<std::string> identity_differences(const DiskIdentity &planned,
                                              const DiskIdentity &now) {
  std::vector<std::string> out;
  if (planned.size != now.size) {
    out.push_back(fmt::format("size is {} ({} bytes), the plan has {} ({} bytes)",
                              text::human_size(now.size), now.size, text::human_size(planned.size),
                              planned.size));
  }
  // A serial number known on one side only is no difference: the plan was
  // made on an image file of the disk (no serial), or the disk is read
  // through one now; the table and filesystem UUIDs still tell it apart.
  if (planned.serial != now.serial && !planned.serial.empty() && !now.serial.empty()) {
    out.push_back(
        fmt::format(R"(serial number is "{}", the plan has "{}")", now.serial, planned.serial));
  }
  if (planned.model != now.model && !planned.model.empty() && !now.model.empty()) {
    out.push_back(fmt::format(R"(model is "{}", the plan has "{}")", now.model, planned.model));
  }
  if (planned.table_type != now.table_type) {
    out.push_back(fmt::format("partition table is {}, the plan has {}",
                              now.table_type.empty() ? "none" : now.table_type,
                              planned.table_type.empty() ? "none" : planned.table_type));
  } else if (planned.table_id != now.table_id) {
    out.push_back(
        fmt::format("partition table id is {}, the plan has {}", now.table_id, planned.table_id));
  }
  set_differences(out, planned.partition_uuids, now.partition_uuids, "partition UUID");
  set_differences(out, planned.fs_uuids, now.fs_uuids, "filesystem UUID");
  return out;
}

Located locate_disk(const DiskIdentity &planned, const std::vector<disk::Disk> &candidates) {
  std::vector<std::string> why;
  // 1. The disk at the planned path.
  for (const auto &d : candidates) {
    if (d.path == planned.path) {
      auto diff = differences_of(planned, d);
      if (diff.empty()) {
        return {d.path, {}};
      }
      for (const auto &s : diff) {
        why.push_back(fmt::format("{}: {}", d.path, s));
      }
    }
  }
  // 2. A disk one of the planned by-id names points to now.
  for (const auto &d : candidates) {
    if (d.path != planned.path && shares_by_id(planned, d)) {
      auto diff = differences_of(planned, d);
      if (diff.empty()) {
        return {d.path, {}};
      }
      for (const auto &s : diff) {
        why.push_back(fmt::format("{}: {}", d.path, s));
      }
    }
  }
  // 3. Any disk with the same identity.
  if (distinctive(planned)) {
    for (const auto &d : candidates) {
      if (d.status != disk::DiskStatus::error && d.path != planned.path &&
          identity_differences(planned, identify_disk(d)).empty()) {
        return {d.path, {}};
      }
    }
  }
  if (why.empty()) {
    why.push_back(fmt::format("no disk here matches the planned {} ({})", planned.path,
                              text::human_size(planned.size)));
  }
  return {"", why};
}

} // namespace kvmr::plan
