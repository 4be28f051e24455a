// GuestfsTree's mount decisions (see mount_plan.hpp).
#include "rescue/guestfs/mount_plan.hpp"

#include "rescue/util/ascii.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <sys/stat.h>

namespace kvmr::guestfs {
namespace {

template <typename Pred>
SpecResolution find_one(const std::vector<Filesystem> &filesystems, Pred pred,
                        const std::string &what) {
  std::vector<std::string> hits;
  for (const auto &fs : filesystems) {
    if (pred(fs)) {
      hits.push_back(fs.device);
    }
  }
  if (hits.empty()) {
    return {"", "no filesystem with " + what + " on the source disks"};
  }
  if (hits.size() > 1) {
    std::string list;
    for (const auto &h : hits) {
      list += (list.empty() ? "" : ", ") + h;
    }
    return {"", what + " is ambiguous: " + list};
  }
  return {hits.front(), ""};
}

} // namespace

SpecResolution resolve_spec(const std::string &spec, const std::vector<Filesystem> &filesystems) {
  using K = volume::VolumeRef::Kind;
  const volume::VolumeRef ref = volume::parse_spec(spec);
  switch (ref.kind) {
  case K::uuid:
    return find_one(
        filesystems, [&](const Filesystem &fs) { return ascii_lower(fs.uuid) == ref.value; },
        "UUID " + ref.value);
  case K::label:
    return find_one(
        filesystems, [&](const Filesystem &fs) { return fs.label == ref.value; },
        "label " + ref.value);
  case K::partuuid:
    return find_one(
        filesystems, [&](const Filesystem &fs) { return ascii_lower(fs.partuuid) == ref.value; },
        "PARTUUID " + ref.value);
  case K::lvm: {
    const std::string dev = "/dev/" + ref.value;
    return find_one(
        filesystems, [&](const Filesystem &fs) { return fs.device == dev; }, "LV " + ref.value);
  }
  case K::device: {
    SpecResolution r = find_one(
        filesystems, [&](const Filesystem &fs) { return fs.device == spec; }, "device " + spec);
    if (!r.device.empty()) {
      r.reason = "matched by kernel device name only; the old host may have named its disks "
                 "differently";
    }
    return r;
  }
  case K::unknown: break;
  }
  return {"", "cannot tell which volume \"" + spec + "\" names"};
}

bool is_partition_of(const std::string &part, const std::string &disk) {
  if (part.size() <= disk.size() || part.compare(0, disk.size(), disk) != 0) {
    return false;
  }
  return std::all_of(part.begin() + static_cast<std::ptrdiff_t>(disk.size()), part.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool is_lv_device(const std::string &device) {
  return device.rfind("/dev/", 0) == 0 && device.find('/', 5) != std::string::npos;
}

std::size_t path_depth(const std::string &path) {
  std::size_t depth = 0;
  bool in_name = false;
  for (const char c : path) {
    if (c == '/') {
      in_name = false;
    } else if (!in_name) {
      in_name = true;
      ++depth;
    }
  }
  return depth;
}

std::vector<std::size_t> mount_order(const std::vector<volume::FstabEntry> &entries) {
  std::vector<std::size_t> order(entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return path_depth(entries[a].mountpoint) < path_depth(entries[b].mountpoint);
  });
  return order;
}

std::vector<std::string> ro_mount_attempts(const std::string &type) {
  if (type == "xfs") {
    return {"ro", "ro,norecovery"};
  }
  if (type == "ext3" || type == "ext4") {
    return {"ro", "ro,noload"};
  }
  return {"ro"};
}

io::FileType file_type_of_mode(std::int64_t mode) {
  const auto m = static_cast<mode_t>(mode);
  if (S_ISREG(m)) {
    return io::FileType::regular;
  }
  if (S_ISDIR(m)) {
    return io::FileType::directory;
  }
  if (S_ISLNK(m)) {
    return io::FileType::symlink;
  }
  if (S_ISBLK(m)) {
    return io::FileType::block_device;
  }
  return io::FileType::other;
}

io::FileType file_type_of_ftyp(char ftyp) {
  switch (ftyp) {
  case 'r': return io::FileType::regular;
  case 'd': return io::FileType::directory;
  case 'l': return io::FileType::symlink;
  case 'b': return io::FileType::block_device;
  default: return io::FileType::other;
  }
}

} // namespace kvmr::guestfs
