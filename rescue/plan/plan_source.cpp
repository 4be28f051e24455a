// Host files and payload sizes off the old tree (see plan_source.hpp).
#include "rescue/plan/plan_source.hpp"

#include "rescue/scan/host_path.hpp"

#include <array>
#include <exception>

namespace kvmr::plan {
namespace {

constexpr std::array<const char *, 10> kHostFiles{
    "/etc/hostname",
    "/etc/hosts",
    "/etc/sysconfig/network",
    "/etc/locale.conf",
    "/etc/vconsole.conf",
    "/etc/resolv.conf",
    "/etc/sysconfig/clock",
    "/etc/libvirt/qemu.conf",
    "/etc/libvirt/libvirtd.conf",
    "/etc/sysconfig/network-scripts",
};

// PATH's file, a symlink followed inside the old root as the copy follows
// it (an NVRAM file or a host file kept elsewhere and linked).
std::optional<io::FileStat> stat_of(io::SourceTree &tree, const std::string &path) {
  try {
    return scan::resolve_in_root(tree, path).stat;
  } catch (const std::exception &) {
    return std::nullopt; // unreadable: the copy will say so
  }
}

} // namespace

std::vector<HostFile> list_host_files(io::SourceTree &tree) {
  std::vector<HostFile> out;
  for (const char *path : kHostFiles) {
    const std::string p = path;
    if (p == "/etc/sysconfig/network-scripts") {
      std::vector<io::DirEntry> entries;
      try {
        entries = tree.list(p);
      } catch (const std::exception &) {
        continue;
      }
      for (const auto &e : entries) {
        if (e.name.starts_with("ifcfg-") && e.name != "ifcfg-lo") {
          const std::string f = p + "/" + e.name;
          if (const auto st = stat_of(tree, f); st && st->type == io::FileType::regular) {
            out.push_back({f, st->size});
          }
        }
      }
      continue;
    }
    if (const auto st = stat_of(tree, p); st && st->type == io::FileType::regular) {
      out.push_back({p, st->size});
    }
  }
  return out;
}

void stat_payload(RescuePlan &plan, io::SourceTree &tree) {
  for (auto &i : plan.items) {
    if (i.kind == ItemKind::image || i.kind == ItemKind::lv_image) {
      continue;
    }
    if (const auto st = stat_of(tree, i.source); st && st->type == io::FileType::regular) {
      i.size = st->size;
      i.allocated = st->allocated;
    }
  }
  plan.bytes_needed = bytes_needed(plan);
}

} // namespace kvmr::plan
