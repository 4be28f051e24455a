// Choosing the path to the old host's tree (see old_host.hpp).
#include "rescue/access/old_host.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <exception>

namespace kvmr::access {
namespace {

std::vector<MountView> kernel_mounts(const volume::HostReport &r) {
  std::vector<MountView> out;
  for (const auto &v : r.volumes) {
    if (v.name == r.root_volume) {
      out.push_back({"/", "", v.name, v.fstype, "mounted", ""});
    }
  }
  for (const auto &f : r.fstab) {
    if (f.mountpoint == "/") {
      continue;
    }
    out.push_back({f.mountpoint, f.spec, f.volume, f.fstype, f.status, f.detail});
  }
  return out;
}

std::vector<MountView> guestfs_mounts(const guestfs::GuestfsTree &t) {
  std::vector<MountView> out;
  for (const auto &m : t.mounts()) {
    out.push_back(
        {m.mountpoint, m.spec, m.device, m.fstype, guestfs::to_string(m.state), m.reason});
  }
  return out;
}

} // namespace

const char *to_string(Backend b) noexcept {
  switch (b) {
  case Backend::automatic: return "auto";
  case Backend::kernel: return "kernel";
  case Backend::guestfs: return "guestfs";
  }
  return "?";
}

Backend parse_backend(std::string_view name) {
  if (name == "auto") {
    return Backend::automatic;
  }
  if (name == "kernel") {
    return Backend::kernel;
  }
  if (name == "guestfs") {
    return Backend::guestfs;
  }
  throw InputError(fmt::format("unknown backend \"{}\": use auto, kernel or guestfs", name));
}

bool kernel_lacks_support(const volume::FstabResult &r) {
  return r.status == "failed" && r.kernel_lacks;
}

std::unique_ptr<OldHost> OldHost::open(const std::vector<std::string> &sources,
                                       const AccessOptions &opts) {
  std::unique_ptr<OldHost> h(new OldHost());
  std::vector<std::string> why_not;
  Backend want = opts.backend;
  if (want == Backend::automatic && ::geteuid() != 0) {
    h->notes_.emplace_back("not running as root: kernel mounts need root, so the old host is "
                           "read through the libguestfs appliance (slower)");
    want = Backend::guestfs;
  }
  if (want != Backend::guestfs) {
    try {
      h->kernel_ = volume::SourceHost::open(sources, opts.kernel);
      h->backend_ = Backend::kernel;
      h->mounts_ = kernel_mounts(h->kernel_->report());
      if (want == Backend::kernel) {
        return h;
      }
      std::vector<std::string> lacking;
      for (const auto &f : h->kernel_->report().fstab) {
        // /boot and the ESP hold nothing scan or the rescue reads.
        const bool boot = f.mountpoint == "/boot" || f.mountpoint.rfind("/boot/", 0) == 0;
        if (kernel_lacks_support(f) && !boot) {
          lacking.push_back(fmt::format("{} ({})", f.mountpoint, f.detail));
        }
      }
      if (lacking.empty()) {
        return h;
      }
      why_not.push_back(fmt::format("the kernel cannot mount {}", fmt::join(lacking, "; ")));
    } catch (const std::exception &e) {
      if (want == Backend::kernel) {
        throw;
      }
      why_not.push_back(std::string("the kernel path failed: ") + e.what());
    }
  }
  try {
    guestfs::GuestfsTreeOptions gopts;
    gopts.sink = opts.sink;
    auto g = std::make_unique<guestfs::GuestfsTree>(sources, gopts);
    for (const auto &w : why_not) {
      h->notes_.push_back(w + "; reading the old host through the libguestfs appliance instead");
    }
    h->kernel_.reset();
    h->guestfs_ = std::move(g);
    h->backend_ = Backend::guestfs;
    h->mounts_ = guestfs_mounts(*h->guestfs_);
    return h;
  } catch (const std::exception &e) {
    if (h->kernel_) {
      // Keep what the kernel path could do; say what is missing.
      for (const auto &w : why_not) {
        h->notes_.push_back(w + fmt::format("; libguestfs could not help either: {}", e.what()));
      }
      return h;
    }
    if (why_not.empty()) {
      throw;
    }
    throw InputError(fmt::format("{}; libguestfs: {}", fmt::join(why_not, "; "), e.what()));
  }
}

OldHost::~OldHost() = default;

io::SourceTree &OldHost::tree() {
  if (guestfs_) {
    return *guestfs_;
  }
  return kernel_->tree();
}

std::vector<LvView> OldHost::lvs() {
  std::vector<LvView> out;
  if (kernel_) {
    for (const auto &l : kernel_->report().lvs) {
      // An LV in several pieces is read through its segment map (or mounted
      // through device-mapper where the kernel has it).
      const std::string access = l.access == "device_mapper" ? "segment_map" : l.access;
      out.push_back({l.name, l.size, l.access != "unavailable", access, l.problems});
    }
    return out;
  }
  auto &g = guestfs_->handle();
  for (const auto &dev : g.lvs()) { // "/dev/centos/db01"
    LvView v;
    v.name = dev.rfind("/dev/", 0) == 0 ? dev.substr(5) : dev;
    v.access = "appliance";
    try {
      v.size = g.blockdev_getsize64(dev);
      v.readable = true;
    } catch (const std::exception &e) {
      v.problems.emplace_back(e.what());
    }
    out.push_back(v);
  }
  return out;
}

std::string OldHost::local_path(const std::string &old_path) const {
  if (!kernel_) {
    return {};
  }
  return kernel_->tree().root_dir() + (old_path.empty() || old_path.front() != '/' ? "/" : "") +
         old_path;
}

const volume::HostReport *OldHost::kernel_report() const {
  return kernel_ ? &kernel_->report() : nullptr;
}

std::string OldHost::root_device() const {
  for (const auto &m : mounts_) {
    if (m.mountpoint == "/") {
      return m.device;
    }
  }
  return "?";
}

} // namespace kvmr::access
