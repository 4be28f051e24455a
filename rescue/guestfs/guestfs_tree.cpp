// GuestfsTree: the old host's tree assembled inside the libguestfs
// appliance from read-only drives (see guestfs_tree.hpp).
#include "rescue/guestfs/guestfs_tree.hpp"

#include "rescue/util/ascii.hpp"

#include "rescue/util/error.hpp"
#include "rescue/volume/fstab.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace kvmr::guestfs {
namespace {

constexpr std::uint64_t kMaxFstabBytes = 1U << 20U;

std::string join(const std::vector<std::string> &items, const char *sep) {
  std::string out;
  for (const auto &s : items) {
    out += (out.empty() ? "" : sep) + s;
  }
  return out;
}

std::string tag(const std::vector<std::pair<std::string, std::string>> &tags, const char *key) {
  for (const auto &[k, v] : tags) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

// "DEV (WHY)", one entry of the root search's report.
std::string attempt(const std::string &dev, const std::string &why) {
  return dev + " (" + why + ")";
}

bool is_type(const std::optional<Stat> &s, io::FileType t) {
  return s.has_value() && file_type_of_mode(s->mode) == t;
}

} // namespace

const char *to_string(MountState state) noexcept {
  switch (state) {
  case MountState::mounted: return "mounted";
  case MountState::skipped: return "skipped";
  case MountState::unresolved: return "unresolved";
  case MountState::failed: return "failed";
  }
  return "?";
}

GuestfsTree::GuestfsTree(std::vector<std::string> sources, const GuestfsTreeOptions &options)
    : sources_(std::move(sources)), options_(options), g_(options.sink) {
  if (sources_.empty()) {
    throw InputError("libguestfs: no source disk given");
  }
  if (options_.memsize_mib > 0) {
    g_.set_memsize(options_.memsize_mib);
  }
  if (options_.smp > 0) {
    g_.set_smp(options_.smp);
  }
  backend_ = g_.backend();
  for (const auto &s : sources_) {
    g_.add_drive_ro(s, "raw");
  }
  g_.launch();
  scan_filesystems();
  find_and_mount_root();
  if (options_.mount_fstab) {
    mount_fstab();
  }
}

// One blkid probe per partition, LV and unpartitioned disk: under TCG each
// appliance command costs about a second, and list_filesystems followed by
// vfs_uuid/vfs_label/part_get_gpt_guid per device costs several.
void GuestfsTree::scan_filesystems() {
  const auto partitions = g_.list_partitions();
  std::vector<std::string> devices;
  for (const auto &disk : g_.list_devices()) {
    if (std::none_of(partitions.begin(), partitions.end(),
                     [&](const std::string &p) { return is_partition_of(p, disk); })) {
      devices.push_back(disk); // a filesystem (or PV) on the whole disk
    }
  }
  devices.insert(devices.end(), partitions.begin(), partitions.end());
  const auto lvs = g_.lvs();
  devices.insert(devices.end(), lvs.begin(), lvs.end());
  for (const auto &dev : devices) {
    std::vector<std::pair<std::string, std::string>> tags;
    try {
      tags = g_.blkid(dev);
    } catch (const GuestfsError &) { // NOLINT(bugprone-empty-catch): nothing recognised
    }
    Filesystem fs{dev, tag(tags, "TYPE"), tag(tags, "UUID"), tag(tags, "LABEL"),
                  ascii_lower(tag(tags, "PARTUUID"))};
    if (fs.type == "LVM2_member" || fs.type == "linux_raid_member") {
      continue; // a container, not a filesystem
    }
    if (fs.type.empty()) {
      fs.type = "unknown";
    }
    filesystems_.push_back(std::move(fs));
  }
}

const Filesystem *GuestfsTree::filesystem(const std::string &device) const {
  const auto it = std::find_if(filesystems_.begin(), filesystems_.end(),
                               [&](const Filesystem &fs) { return fs.device == device; });
  return it == filesystems_.end() ? nullptr : &*it;
}

std::string GuestfsTree::try_mount(const std::string &device, const std::string &type,
                                   const std::string &mountpoint, std::string &error) {
  for (const auto &opts : ro_mount_attempts(type)) {
    try {
      g_.mount_options(opts, device, mountpoint);
      return opts;
    } catch (const GuestfsError &e) {
      error = e.message();
    }
  }
  return {};
}

bool GuestfsTree::looks_like_root() {
  const auto fstab = g_.lstatns("/etc/fstab");
  if (!is_type(fstab, io::FileType::regular)) {
    return false;
  }
  return g_.lstatns("/etc/os-release").has_value() || g_.lstatns("/etc/centos-release").has_value();
}

// Mounts each candidate at "/" and looks for /etc/fstab plus os-release or
// centos-release; the first that also holds /etc/libvirt wins, else the
// first root-like one. Mounting and two lstats cost well under a second,
// inspect_os about a minute under TCG: it is asked first only when the
// options say so, and otherwise only when looking found nothing.
void GuestfsTree::find_and_mount_root() {
  // LVs first (CentOS puts its root on one), then partitions and disks.
  std::vector<std::string> candidates;
  for (const bool lv : {true, false}) {
    for (const auto &fs : filesystems_) {
      if (fs.type != "swap" && fs.type != "unknown" && is_lv_device(fs.device) == lv) {
        candidates.push_back(fs.device);
      }
    }
  }
  std::vector<std::string> tried;
  if (options_.inspect_first) {
    inspect();
    candidates.insert(candidates.begin(), inspected_.begin(), inspected_.end());
  }
  std::string chosen;
  std::string chosen_opts;
  bool mounted = false;
  std::vector<std::string> seen;
  for (const auto &dev : candidates) {
    if (std::find(seen.begin(), seen.end(), dev) != seen.end()) {
      continue;
    }
    seen.push_back(dev);
    const Filesystem *fs = filesystem(dev);
    std::string error;
    const std::string opts = try_mount(dev, fs != nullptr ? fs->type : "", "/", error);
    if (opts.empty()) {
      tried.push_back(attempt(dev, error));
      continue;
    }
    if (!looks_like_root()) {
      tried.push_back(attempt(dev, "no /etc/fstab with /etc/os-release or /etc/centos-release"));
      g_.umount_all();
      continue;
    }
    const bool has_libvirt = is_type(g_.lstatns("/etc/libvirt"), io::FileType::directory);
    if (chosen.empty() || has_libvirt) {
      chosen = dev;
      chosen_opts = opts;
    }
    if (has_libvirt) {
      mounted = true;
      break;
    }
    g_.umount_all();
  }
  if (chosen.empty() && options_.inspect && !options_.inspect_first) {
    // An OS libguestfs recognises by other marks (no os-release, say).
    inspect();
    for (const auto &dev : inspected_) {
      const Filesystem *fs = filesystem(dev);
      std::string error;
      chosen_opts = try_mount(dev, fs != nullptr ? fs->type : "", "/", error);
      if (!chosen_opts.empty()) {
        chosen = dev;
        mounted = true;
        break;
      }
      tried.push_back(attempt(dev, "inspect_os root: " + error));
    }
  }
  if (chosen.empty()) {
    throw InputError("libguestfs: no filesystem on " + join(sources_, ", ") +
                     " looks like the old host's root; tried: " +
                     (tried.empty() ? std::string("nothing mountable") : join(tried, "; ")) +
                     (inspection_error_.empty() ? "" : "; " + inspection_error_));
  }
  if (!mounted) {
    g_.mount_options(chosen_opts, chosen, "/");
  }
  root_device_ = chosen;
  const Filesystem *fs = filesystem(chosen);
  mounts_.push_back(
      {chosen, "/", fs != nullptr ? fs->type : "", chosen, chosen_opts, MountState::mounted, ""});
}

void GuestfsTree::inspect() {
  try {
    inspected_ = g_.inspect_os();
  } catch (const GuestfsError &e) {
    inspection_error_ = e.what();
  }
}

void GuestfsTree::mount_fstab() {
  const auto entries = volume::parse_fstab(read_file("/etc/fstab", kMaxFstabBytes));
  std::vector<MountRecord> records(entries.size());
  std::vector<bool> is_root(entries.size(), false);
  for (const std::size_t i : mount_order(entries)) {
    const auto &e = entries[i];
    MountRecord &rec = records[i];
    rec = {e.spec, e.mountpoint, e.fstype, "", "", MountState::skipped, ""};
    if (e.mountpoint == "/") {
      // Mounted already; only say so when fstab names another volume.
      is_root[i] = true;
      const SpecResolution r = resolve_spec(e.spec, filesystems_);
      mounts_.front().spec = e.spec;
      mounts_.front().fstype = e.fstype;
      if (r.device != root_device_) {
        mounts_.front().reason =
            "/etc/fstab names " + e.spec + " for /, " +
            (r.device.empty() ? "which is not on the source disks (" + r.reason + ")"
                              : "which is " + r.device);
      }
      continue;
    }
    if (e.fstype == "swap") {
      rec.reason = "swap";
      continue;
    }
    if (!volume::is_local_mount(e)) {
      rec.reason = "not a local filesystem to mount (type " + e.fstype + ", options " +
                   (e.options.empty() ? std::string("none") : e.options) + ")";
      continue;
    }
    const SpecResolution r = resolve_spec(e.spec, filesystems_);
    if (r.device.empty()) {
      rec.state = MountState::unresolved;
      rec.reason = r.reason;
      continue;
    }
    rec.device = r.device;
    rec.reason = r.reason;
    const auto already = std::find_if(mounts_.begin(), mounts_.end(), [&](const MountRecord &m) {
      return m.state == MountState::mounted && m.device == r.device;
    });
    const auto already_here =
        std::find_if(records.begin(), records.end(), [&](const MountRecord &m) {
          return &m != &rec && m.state == MountState::mounted && m.device == r.device;
        });
    if (already != mounts_.end() || already_here != records.end()) {
      rec.reason = r.device + " is mounted already at " +
                   (already != mounts_.end() ? already->mountpoint : already_here->mountpoint);
      continue;
    }
    // Every component of the mount point must be a real directory in the
    // tree: a symlink would be followed by the appliance's own kernel.
    std::string prefix;
    std::string bad;
    for (std::size_t pos = 1; pos <= e.mountpoint.size() && bad.empty(); ++pos) {
      if (pos == e.mountpoint.size() || e.mountpoint[pos] == '/') {
        prefix = e.mountpoint.substr(0, pos);
        if (!is_type(g_.lstatns(prefix), io::FileType::directory)) {
          bad = prefix;
        }
      }
    }
    if (!bad.empty()) {
      rec.state = MountState::failed;
      rec.reason = "mount point: " + bad + " is not a directory in the tree";
      continue;
    }
    const Filesystem *fs = filesystem(r.device);
    std::string error;
    rec.options = try_mount(r.device, fs != nullptr ? fs->type : e.fstype, e.mountpoint, error);
    if (rec.options.empty()) {
      rec.state = MountState::failed;
      rec.reason = error;
    } else {
      rec.state = MountState::mounted;
    }
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (!is_root[i]) {
      mounts_.push_back(std::move(records[i]));
    }
  }
}

std::optional<io::FileStat> GuestfsTree::lstat(const std::string &path) {
  const auto s = g_.lstatns(path);
  if (!s) {
    return std::nullopt;
  }
  io::FileStat fs;
  fs.type = file_type_of_mode(s->mode);
  fs.size = static_cast<std::uint64_t>(s->size);
  fs.allocated = static_cast<std::uint64_t>(s->blocks) * 512U;
  fs.mode = static_cast<std::uint32_t>(s->mode) & 07777U;
  fs.uid = static_cast<std::uint32_t>(s->uid);
  fs.gid = static_cast<std::uint32_t>(s->gid);
  return fs;
}

std::uint64_t GuestfsTree::regular_size(const std::string &path) {
  const auto s = g_.statns(path);
  if (!s) {
    throw GuestfsError("statns", path, "No such file or directory", ENOENT);
  }
  if (file_type_of_mode(s->mode) != io::FileType::regular) {
    throw InputError(path + ": not a regular file");
  }
  return static_cast<std::uint64_t>(s->size);
}

std::string GuestfsTree::read_file(const std::string &path, std::uint64_t max_bytes) {
  const std::uint64_t size = regular_size(path);
  if (size > max_bytes) {
    throw InputError(path + ": " + std::to_string(size) + " bytes, more than the " +
                     std::to_string(max_bytes) + " this reader accepts");
  }
  std::string data = g_.read_file(path);
  if (data.size() > max_bytes) { // it grew in between: cannot happen read-only
    throw InputError(path + ": more than " + std::to_string(max_bytes) + " bytes");
  }
  return data;
}

std::string GuestfsTree::read_range(const std::string &path, std::uint64_t offset,
                                    std::uint64_t length) {
  const std::uint64_t size = regular_size(path);
  std::string out;
  // The daemon's protocol limits one pread to under 4 MiB; ask in 1 MiB.
  constexpr std::uint64_t kChunk = 1U << 20U;
  while (offset < size && out.size() < length) {
    const std::uint64_t want = std::min({kChunk, length - out.size(), size - offset});
    std::string part = g_.pread(path, want, offset);
    if (part.empty()) {
      break;
    }
    offset += part.size();
    out += part;
  }
  return out;
}

std::vector<io::DirEntry> GuestfsTree::list(const std::string &dir) {
  std::vector<io::DirEntry> out;
  for (auto &d : g_.readdir(dir)) {
    if (d.name == "." || d.name == "..") {
      continue;
    }
    out.push_back({std::move(d.name), file_type_of_ftyp(d.ftyp)});
  }
  std::sort(out.begin(), out.end(),
            [](const io::DirEntry &a, const io::DirEntry &b) { return a.name < b.name; });
  return out;
}

std::string GuestfsTree::readlink(const std::string &path) {
  return g_.readlink(path);
}

std::string GuestfsTree::sha256(const std::string &path) {
  return g_.checksum("sha256", path);
}

std::string GuestfsTree::describe() const {
  return "libguestfs appliance (backend " + backend_ + ") over " + join(sources_, ", ") +
         ", root " + root_device_;
}

void GuestfsTree::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  g_.umount_all();
  g_.shutdown();
}

} // namespace kvmr::guestfs
