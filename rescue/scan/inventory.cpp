// Building the VMs' view from the libvirt configuration (see inventory.hpp).
#include "rescue/scan/inventory.hpp"
#include "rescue/scan/vm_name.hpp"

#include "rescue/scan/host_path.hpp"
#include "rescue/volume/fstab.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kvmr::scan {
namespace {

void add_unique(std::vector<std::string> &v, const std::string &s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) {
    v.push_back(s);
  }
}

const StoragePool *find_pool(const LibvirtConfig &cfg, const std::string &name) {
  for (const auto &p : cfg.pools) {
    if (p.pool && p.pool->name == name) {
      return &*p.pool;
    }
  }
  return nullptr;
}

const LvFact *find_lv(const std::vector<LvFact> &lvs, const std::string &name) {
  for (const auto &l : lvs) {
    if (l.name == name) {
      return &l;
    }
  }
  return nullptr;
}

struct DiskContext {
  io::SourceTree &tree;
  const LibvirtConfig &cfg;
  const std::vector<LvFact> &lvs;
};

void file_disk(DiskContext &ctx, VmDisk &d, bool removable) {
  d.chain = walk_image_chain(ctx.tree, d.path, d.format);
  const ImageChain &c = *d.chain;
  if (!c.members.empty() && c.members.front().virtual_size) {
    d.virtual_size = *c.members.front().virtual_size;
  }
  for (const auto &m : c.members) {
    if (m.exists) {
      d.allocated += m.allocated;
    }
    if (m.data_file && m.data_file->exists) {
      d.allocated += m.data_file->allocated;
    }
    for (const auto &e : m.extents) {
      d.allocated += e.exists ? e.allocated : 0;
    }
  }
  const auto sort = [&](const Problem &p) {
    // Removable media may be ejected: a missing ISO does not stop a rescue.
    // Each reason names the guest's disk first, as every other one does.
    const std::string message = fmt::format("{}: {}", d.target, p.message);
    if (p.severity == Severity::error && !removable) {
      d.errors.push_back(message);
    } else if (p.severity != Severity::info) {
      d.warnings.push_back(message);
    }
  };
  for (const auto &p : c.problems) {
    sort(p);
  }
  for (const auto &m : c.members) {
    for (const auto &p : m.problems) {
      sort(p);
    }
  }
}

bool vg_on_sources(const std::vector<LvFact> &lvs, const std::string &lv) {
  const std::string vg = lv.substr(0, lv.find('/') + 1);
  return std::any_of(lvs.begin(), lvs.end(),
                     [&](const LvFact &l) { return l.name.starts_with(vg); });
}

void block_disk(DiskContext &ctx, VmDisk &d) {
  const std::string lv = lv_name_of(d.path);
  const LvFact *fact = lv.empty() ? nullptr : find_lv(ctx.lvs, lv);
  if (fact == nullptr && !lv.empty() && vg_on_sources(ctx.lvs, lv)) {
    d.errors.push_back(fmt::format("{}: LV {} is not found in its volume group on the source "
                                   "disks",
                                   d.target, d.path));
    return;
  }
  if (fact == nullptr) {
    d.warnings.push_back(
        fmt::format("{}: {} is a disk of the old host that is not among the source disks: not "
                    "copied. Move that disk to the new host (the domain XML keeps naming it), "
                    "or image it (dd) and make the VM's disk a file",
                    d.target, d.path));
    return;
  }
  d.lv = *fact;
  d.virtual_size = fact->size;
  d.allocated = fact->size;
  if (!fact->readable) {
    d.errors.push_back(fmt::format("{}: LV {} cannot be read whole: {}", d.target, lv,
                                   fmt::join(fact->problems, "; ")));
  }
}

// A pool volume's old-host path and how it is reached ("file", "block"),
// or a warning/error on D when it is not on the old disk.
std::string volume_type(DiskContext &ctx, VmDisk &d, const Disk &x) {
  const StoragePool *pool = find_pool(ctx.cfg, x.source.pool);
  if (pool == nullptr) {
    d.errors.push_back(fmt::format("{}: storage pool \"{}\" is not defined on the old host",
                                   d.target, x.source.pool));
    return {};
  }
  if (pool->type == "dir" || pool->type == "fs") {
    d.path = resolve(pool->target_path, x.source.volume);
    return "file";
  }
  if (pool->type == "logical") {
    const std::string vg = pool->source_name.empty() ? pool->name : pool->source_name;
    d.path = "/dev/" + vg + "/" + x.source.volume;
    return "block";
  }
  const bool network = pool->type == "netfs" || pool->type == "iscsi" ||
                       pool->type == "iscsi-direct" || pool->type == "rbd" ||
                       pool->type == "gluster" || pool->type == "sheepdog";
  d.warnings.push_back(fmt::format("{}: volume {} of the {} pool \"{}\" is {}: not copied; the "
                                   "new host must reach that storage",
                                   d.target, x.source.volume, pool->type, pool->name,
                                   network ? "network storage, not on the old disk"
                                           : "on a host disk, not a file of the old host"));
  return {};
}

// A cdrom or floppy whose medium did not make it: the drive stays, empty.
void eject_unless_copied(VmDisk &d) {
  const bool copied = d.chain && !d.chain->members.empty() && d.chain->members.front().exists &&
                      d.chain->members.front().type == io::FileType::regular;
  if (copied || d.path.empty()) {
    return;
  }
  d.eject = true;
  d.chain.reset();
  d.allocated = 0;
  d.warnings.clear(); // the chain's own "does not exist" says the same
  d.warnings.push_back(fmt::format("{}: {} medium {} is not copied{}; the drive is kept empty",
                                   d.target, d.device, d.path,
                                   d.type == "block" ? " (a device of the old host)" : ""));
}

// A disk libvirt leaves out at start when its file is missing.
void drop_if_optional_missing(VmDisk &d, const Disk &x) {
  if (x.startup_policy != "optional" || !d.chain || d.chain->members.empty() ||
      d.chain->members.front().exists) {
    return;
  }
  d.errors.clear();
  d.warnings.push_back(fmt::format("{}: {} is missing; startupPolicy='optional': libvirt starts "
                                   "the VM without it",
                                   d.target, d.path));
  d.chain.reset();
}

VmDisk read_disk(DiskContext &ctx, const Disk &x, const std::string &vm) {
  VmDisk d;
  d.target = x.target_dev;
  d.device = x.device;
  d.type = x.source.type.empty() ? "file" : x.source.type;
  d.format = x.source.format;
  d.readonly = x.readonly;
  d.path = x.source.path();
  const bool removable = x.device == "cdrom" || x.device == "floppy";
  std::string type = d.type;
  if (d.type == "volume") {
    type = volume_type(ctx, d, x);
  }
  if (type == "network") {
    d.warnings.push_back(fmt::format("{}: a network disk ({} {}) is not on the old disk: not "
                                     "copied; the new host must reach that storage",
                                     d.target, x.source.protocol, x.source.name));
    return d;
  }
  if (removable && type == "block") {
    eject_unless_copied(d);
    return d;
  }
  if (type.empty() || d.path.empty()) {
    if (removable) { // an empty drive, or a volume that cannot be found
      d.warnings.insert(d.warnings.end(), d.errors.begin(), d.errors.end());
      d.errors.clear();
    } else if (d.errors.empty() && d.warnings.empty()) {
      d.errors.push_back(fmt::format("{}: the disk names no source", d.target));
    }
    return d;
  }
  if (type == "file") {
    file_disk(ctx, d, removable);
    drop_if_optional_missing(d, x);
    if (removable) {
      eject_unless_copied(d);
    }
  } else if (type == "block") {
    block_disk(ctx, d);
  } else {
    d.errors.push_back(
        fmt::format("{}: disk type {} of VM {} is not supported", d.target, type, vm));
  }
  return d;
}

// The variable store the XML names (any form: domain_xml.hpp Nvram), or
// libvirt's default path for a UEFI VM whose XML names none.
void check_nvram(io::SourceTree &tree, VmInfo &vm, const Domain &dom) {
  if (dom.nvram && dom.nvram->type == "network") {
    vm.nvram = VmNvram{"", false, 0, true};
    vm.reasons.push_back(fmt::format("NVRAM is network storage ({}), not on the old disk: not "
                                     "copied; the new host must reach it",
                                     dom.nvram->network));
    return;
  }
  VmNvram n;
  if (dom.nvram && !dom.nvram->path.empty()) {
    n.path = dom.nvram->path;
    n.named = true;
  } else if (dom.uefi()) {
    n.path = "/var/lib/libvirt/qemu/nvram/" + dom.name + "_VARS.fd"; // libvirt's default
  } else {
    return;
  }
  // Followed inside the old root: a store moved to /home and linked back.
  const auto st = resolve_in_root(tree, n.path).stat;
  if (st && st->type == io::FileType::regular) {
    n.present = true;
    n.size = st->size;
    add_unique(vm.files, n.path);
  } else if (dom.nvram && dom.nvram->type == "block") {
    vm.reasons.push_back(fmt::format("NVRAM is the device {}, not a file: not copied; libvirt "
                                     "will start from a blank template and the VM's UEFI boot "
                                     "entries are lost",
                                     n.path));
  } else {
    vm.reasons.push_back(fmt::format("NVRAM {} is missing: libvirt will start from a blank "
                                     "template and the VM's UEFI boot entries are lost",
                                     n.path));
  }
  vm.nvram = n;
}

void check_networks(const HostInventory &inv, VmInfo &vm, const Domain &dom) {
  for (const auto &i : dom.interfaces) {
    if (i.type == "bridge") {
      add_unique(vm.networks, "bridge " + i.source_bridge);
      const auto &br = inv.profile.network.bridges;
      if (std::none_of(br.begin(), br.end(),
                       [&](const BridgeInfo &b) { return b.device == i.source_bridge; })) {
        vm.reasons.push_back(fmt::format("bridge {} is not configured in the old host's "
                                         "network-scripts",
                                         i.source_bridge));
      }
    } else if (i.type == "network") {
      add_unique(vm.networks, "network " + i.source_network);
      const auto &nets = inv.libvirt.networks;
      if (std::none_of(nets.begin(), nets.end(), [&](const NetworkFile &n) {
            return n.network && n.network->name == i.source_network;
          })) {
        vm.reasons.push_back(
            fmt::format("libvirt network {} is not defined on the old host", i.source_network));
      }
    } else if (i.type == "direct") {
      add_unique(vm.networks, "direct " + i.source_dev);
    } else {
      add_unique(vm.networks, i.type);
    }
  }
}

VmInfo read_vm(DiskContext &ctx, const HostInventory &inv, const DomainFile &f) {
  VmInfo vm;
  vm.xml_path = f.path;
  vm.autostart = f.autostart;
  vm.files.push_back(f.path);
  if (!f.domain) {
    vm.name = basename(f.path);
    if (vm.name.size() > 4 && vm.name.ends_with(".xml")) {
      vm.name.resize(vm.name.size() - 4);
    }
    vm.error = f.error;
    vm.readiness = Readiness::not_ready;
    vm.reasons.push_back("the domain XML cannot be read: " + f.error);
    return vm;
  }
  const Domain &dom = *f.domain;
  vm.name = dom.name;
  vm.uuid = dom.uuid;
  vm.vcpus = dom.vcpus;
  vm.memory_bytes = dom.memory_bytes;
  vm.machine = dom.machine;
  vm.uefi = dom.uefi();
  vm.loader = dom.loader ? dom.loader->path : "";
  std::vector<std::string> errors;
  for (const auto &x : dom.disks) {
    VmDisk d = read_disk(ctx, x, dom.name);
    errors.insert(errors.end(), d.errors.begin(), d.errors.end());
    vm.reasons.insert(vm.reasons.end(), d.warnings.begin(), d.warnings.end());
    vm.allocated += d.allocated;
    if (d.chain) {
      vm.chain_depth = std::max(vm.chain_depth, d.chain->depth);
      for (const auto &file : d.chain->files()) {
        add_unique(vm.files, file);
      }
    }
    vm.disks.push_back(std::move(d));
  }
  check_nvram(ctx.tree, vm, dom);
  check_networks(inv, vm, dom);
  for (const auto &s : inv.libvirt.snapshots) {
    if (s.domain_dir == dom.name) {
      add_unique(vm.snapshots, s.snapshot ? s.snapshot->name : basename(s.path));
      add_unique(vm.files, s.path);
    }
  }
  if (!errors.empty()) {
    vm.readiness = Readiness::not_ready;
    vm.reasons.insert(vm.reasons.begin(), errors.begin(), errors.end());
  } else {
    vm.readiness = vm.reasons.empty() ? Readiness::ready : Readiness::warnings;
  }
  return vm;
}

// A name libvirt would refuse, or that would break a line, becomes the
// safe one (vm_name.hpp), unique among the VMs; the VM is still rescued.
void rename_unsafe(std::vector<VmInfo> &vms) {
  // (No reserve(): GCC 12 at -O3 then warns of a null dereference in the
  // strings pushed, falsely, and the release build takes warnings as errors.)
  std::vector<std::string> taken; // NOLINT(performance-inefficient-vector-operation)
  for (const auto &vm : vms) {
    taken.push_back(vm.name);
  }
  for (auto &vm : vms) {
    if (is_safe_vm_name(vm.name)) {
      continue;
    }
    vm.original_name = vm.name;
    vm.name = unique_vm_name(safe_vm_name(vm.original_name), taken);
    taken.push_back(vm.name);
    vm.reasons.insert(vm.reasons.begin(),
                      fmt::format("its name \"{}\" holds control characters, '/' or bytes that are "
                                  "not UTF-8, which libvirt refuses: it is rescued as {}",
                                  escaped_name(vm.original_name), vm.name));
    if (vm.readiness == Readiness::ready) {
      vm.readiness = Readiness::warnings;
    }
  }
}

} // namespace

const std::string &name_on_old_disk(const VmInfo &vm) {
  return vm.original_name.empty() ? vm.name : vm.original_name;
}

const char *to_string(Readiness r) noexcept {
  switch (r) {
  case Readiness::ready: return "ready";
  case Readiness::warnings: return "warnings";
  case Readiness::not_ready: return "not_ready";
  }
  return "?";
}

std::string lv_name_of(const std::string &path) {
  const volume::VolumeRef ref = volume::parse_spec(path);
  return ref.kind == volume::VolumeRef::Kind::lvm ? ref.value : "";
}

HostInventory build_inventory(io::SourceTree &tree, const std::vector<LvFact> &lvs) {
  HostInventory inv;
  inv.profile = read_host_profile(tree);
  inv.libvirt = read_libvirt_config(tree);
  // A domain file that does not parse is told about with its VM.
  for (const auto &w : inv.libvirt.warnings) {
    const auto &doms = inv.libvirt.domains;
    if (std::none_of(doms.begin(), doms.end(),
                     [&](const DomainFile &f) { return !f.error.empty() && w == f.error; })) {
      inv.warnings.push_back(w);
    }
  }
  DiskContext ctx{tree, inv.libvirt, lvs};
  for (const auto &f : inv.libvirt.domains) {
    inv.vms.push_back(read_vm(ctx, inv, f));
  }
  rename_unsafe(inv.vms);
  return inv;
}

} // namespace kvmr::scan
