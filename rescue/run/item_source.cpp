// Opening a plan item's bytes (see item_source.hpp).
#include "rescue/run/item_source.hpp"

#include "rescue/io/file_byte_source.hpp"
#include "rescue/io/lv_byte_source.hpp"
#include "rescue/run/tree_byte_source.hpp"
#include "rescue/scan/host_path.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

namespace kvmr::run {

std::string host_identity(const plan::RescuePlan &p) {
  std::string out;
  for (const auto &d : p.sources) {
    std::string id;
    if (!d.table_id.empty()) {
      id = "table:" + d.table_id;
    } else if (!d.fs_uuids.empty()) {
      id = "fs:" + d.fs_uuids.front();
    } else {
      id = fmt::format("disk:{}:{}", d.serial, d.size);
    }
    out += out.empty() ? id : "," + id;
  }
  return out;
}

ItemSource open_item_source(const plan::RescuePlan &p, const plan::PlanItem &item,
                            access::OldHost &host, const LvMaps &lvs) {
  ItemSource s;
  s.source_id = host_identity(p) + ":" + item.source;
  if (item.kind == plan::ItemKind::lv_image) {
    const auto it = lvs.lvs.find(item.source);
    if (it == lvs.lvs.end()) {
      throw InputError(
          fmt::format("LV {} (disk of VM {}) is not on the source disks{}", item.source, item.vm,
                      lvs.problems.empty() ? std::string()
                                           : fmt::format(" ({})", fmt::join(lvs.problems, "; "))));
    }
    s.bytes = std::make_unique<io::LvByteSource>(item.source, it->second);
    return s;
  }
  // The plan names the path the domain XML names; its symlinks are resolved
  // inside the old root first, so the local path below holds none that this
  // machine could follow to its own files (/home/images on the rescue system).
  const scan::InRootPath real = scan::resolve_in_root(host.tree(), item.source);
  if (!real.stat) {
    throw InputError(real.problem);
  }
  const std::string local = host.local_path(real.path);
  if (!local.empty()) {
    s.bytes = std::make_unique<io::FileByteSource>(local);
    s.metadata_from = local;
    return s;
  }
  s.bytes = std::make_unique<TreeByteSource>(host.tree(), real.path);
  return s;
}

} // namespace kvmr::run
