// Path rewrites of a plan (see plan_rewrite.hpp).
#include "rescue/plan/plan_rewrite.hpp"

#include "rescue/plan/plan_layout.hpp"
#include "rescue/scan/host_path.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kvmr::plan {
namespace {

// The XML files that name VM's disks: its domain XML and its snapshots
// (each snapshot holds a copy of the domain and its own disk list).
std::vector<std::string> vm_xml_files(const scan::HostInventory &inv, const scan::VmInfo &vm) {
  std::vector<std::string> files{vm.xml_path};
  for (const auto &s : inv.libvirt.snapshots) {
    if (s.domain_dir == scan::name_on_old_disk(vm)) {
      files.push_back(s.path);
    }
  }
  return files;
}

void add_rewrite(RescuePlan &plan, PathRewrite r) {
  if (std::find(plan.rewrites.begin(), plan.rewrites.end(), r) == plan.rewrites.end()) {
    plan.rewrites.push_back(std::move(r));
  }
}

// Overlays in D's chain whose backing name would not find the backing
// file at its new place.
void backing_names(RescuePlan &plan, const scan::ImageChain &chain) {
  for (std::size_t i = 0; i + 1 < chain.members.size(); ++i) {
    const scan::ChainMember &m = chain.members[i];
    if (m.backing_name.empty() || m.backing_path.empty() ||
        scan::is_protocol_name(m.backing_name)) {
      continue;
    }
    PlanItem *self = find_item(plan, m.path);
    const PlanItem *base = find_item(plan, chain.members[i + 1].path);
    if (self == nullptr || base == nullptr) {
      continue;
    }
    std::string name = m.backing_name;
    if (name.starts_with("file:")) {
      name = name.substr(5);
    }
    const std::string resolves_to = scan::resolve(scan::dirname(self->new_path), name);
    if (resolves_to == base->new_path) {
      continue; // a relative name that still resolves, or an image that stays
    }
    self->new_backing_name = base->new_path;
    self->new_backing_format = !m.backing_format.empty() ? m.backing_format : base->format;
  }
}

} // namespace

PlanItem *find_item(RescuePlan &plan, const std::string &source) {
  for (auto &i : plan.items) {
    if (i.source == source) {
      return &i;
    }
  }
  return nullptr;
}

void add_vm_rewrites(RescuePlan &plan, const scan::HostInventory &inv, const scan::VmInfo &vm) {
  const std::vector<std::string> files = vm_xml_files(inv, vm);
  for (const auto &d : vm.disks) {
    if (d.lv) {
      const PlanItem *item = find_item(plan, d.lv->name);
      if (item == nullptr) {
        continue;
      }
      for (const auto &f : files) {
        add_rewrite(plan, {vm.name, f, d.path, item->new_path, true, "raw",
                           fmt::format("LV {} is copied to a raw file on the target", d.lv->name)});
      }
      continue;
    }
    if (!d.chain) {
      continue;
    }
    backing_names(plan, *d.chain);
    // A pool volume is named by pool and volume; the pool's rewrite moves it.
    if (d.type != "file" || d.chain->members.empty()) {
      continue;
    }
    const PlanItem *top = find_item(plan, d.chain->members.front().path);
    if (top == nullptr || top->new_path == d.path) {
      continue;
    }
    const bool converted = !top->convert_from.empty();
    const std::string why =
        converted ? fmt::format("{} is converted from {} to qcow2", d.path, top->convert_from)
                  : fmt::format("{} is outside {} and is placed under it", d.path,
                                plan.layout.images_dir);
    for (const auto &f : files) {
      add_rewrite(plan, {vm.name, f, d.path, top->new_path, false, converted ? "qcow2" : "", why});
    }
  }
}

void add_vm_media_rewrites(RescuePlan &plan, const scan::VmInfo &vm) {
  // Only the domain XML: a snapshot's copy of the domain may name another
  // medium, and a rewrite that finds nothing fails the copy of that file.
  for (const auto &d : vm.disks) {
    if (d.eject) {
      PathRewrite r{vm.name,
                    vm.xml_path,
                    d.path,
                    "",
                    false,
                    "",
                    fmt::format("{} medium {} is not on the old disk", d.device, d.path)};
      r.eject = true;
      add_rewrite(plan, std::move(r));
    }
  }
  if (!vm.nvram || !vm.nvram->present || !vm.nvram->named) {
    return;
  }
  const PlanItem *item = find_item(plan, vm.nvram->path);
  if (item != nullptr && item->new_path != vm.nvram->path) {
    add_rewrite(plan, {vm.name, vm.xml_path, vm.nvram->path, item->new_path, false, "",
                       "the restore installs UEFI variable stores in libvirt's NVRAM directory, "
                       "under the VM's name"});
  }
}

void add_pool_rewrites(RescuePlan &plan, const scan::LibvirtConfig &cfg) {
  for (const auto &p : cfg.pools) {
    if (!p.pool || p.pool->target_path.empty() ||
        (p.pool->type != "dir" && p.pool->type != "fs" && p.pool->type != "netfs")) {
      continue;
    }
    const Placement to = place_dir(plan.layout, p.pool->target_path);
    if (!to.relocated) {
      continue;
    }
    add_rewrite(plan, {"", p.path, p.pool->target_path, to.new_path, false, "",
                       fmt::format("pool {}'s directory is outside {} and is placed under it",
                                   p.pool->name, plan.layout.images_dir)});
  }
}

void mark_rewritten(RescuePlan &plan, const std::vector<std::string> &renamed) {
  for (auto &i : plan.items) {
    const bool named = (i.kind == ItemKind::domain_xml || i.kind == ItemKind::snapshot_xml) &&
                       std::find(renamed.begin(), renamed.end(), i.vm) != renamed.end();
    i.rewritten = named || std::any_of(plan.rewrites.begin(), plan.rewrites.end(),
                                       [&](const PathRewrite &r) { return r.file == i.source; });
  }
}

} // namespace kvmr::plan
