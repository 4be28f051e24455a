// Building a RescuePlan from the inventory (see plan_build.hpp): which VMs,
// every item once with its place on the target, then the rewrites.
#include "rescue/plan/plan_build.hpp"
#include "rescue/util/utc_time.hpp"

#include "rescue/plan/identity.hpp"
#include "rescue/plan/plan_convert.hpp"
#include "rescue/plan/plan_layout.hpp"
#include "rescue/plan/plan_rewrite.hpp"
#include "rescue/scan/host_path.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>

#ifndef KVMR_VERSION
#define KVMR_VERSION "0"
#endif

namespace kvmr::plan {
namespace {

bool contains(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string reasons_of(const scan::VmInfo &vm) {
  return vm.reasons.empty() ? std::string("no reason recorded")
                            : fmt::format("{}", fmt::join(vm.reasons, "; "));
}

struct Builder {
  const scan::HostInventory &inv;
  const PlanChoices &ch;
  RescuePlan &plan;

  // Adds ITEM unless its source is planned already (a base image shared by
  // several VMs, an LV two VMs attach).
  void add(PlanItem item) {
    if (find_item(plan, item.source) == nullptr) {
      plan.items.push_back(std::move(item));
    }
  }

  void payload(ItemKind kind, const std::string &vm, const std::string &path, std::uint64_t size,
               bool restored = true, bool secret = false, bool autostart = false) {
    PlanItem i;
    i.kind = kind;
    i.vm = vm;
    i.source = path;
    i.dest = payload_dest(plan.layout, path);
    i.new_path = restored ? path : "";
    i.size = size;
    i.allocated = size;
    i.secret = secret;
    i.autostart = autostart;
    add(std::move(i));
  }

  void image(const std::string &vm, const std::string &path, const std::string &format,
             std::uint64_t size, std::uint64_t allocated, const std::string &guest_disk) {
    const Placement p = place_image(plan.layout, path);
    PlanItem i;
    i.kind = ItemKind::image;
    i.vm = vm;
    i.source = path;
    i.dest = p.dest;
    i.new_path = p.new_path;
    i.format = format;
    i.size = size;
    i.allocated = allocated;
    i.guest_disk = guest_disk;
    add(std::move(i));
  }

  // True when a path on the new host is planned or named by the old host.
  bool taken(const std::string &new_path) const {
    return std::any_of(plan.items.begin(), plan.items.end(),
                       [&](const PlanItem &i) { return i.new_path == new_path; }) ||
           std::any_of(inv.vms.begin(), inv.vms.end(), [&](const scan::VmInfo &v) {
             return std::any_of(v.files.begin(), v.files.end(), [&](const std::string &f) {
               return place_image(plan.layout, f).new_path == new_path;
             });
           });
  }

  // D's chain as one converted qcow2 (plan_convert.hpp); false when it is
  // copied as it is.
  bool converted_chain(const scan::VmInfo &vm, const scan::VmDisk &d,
                       const scan::ImageChain &chain) {
    const std::string formats = read_only_formats(chain);
    if (ch.keep_format || formats.empty() || d.type != "file") {
      return false;
    }
    const Placement p = place_image(plan.layout, chain.members.front().path);
    const std::string new_path =
        converted_path(p.new_path, [this](const std::string &c) { return taken(c); });
    const std::string dest = scan::resolve(scan::dirname("/" + p.dest), scan::basename(new_path));
    add(converted_item(vm.name, d, chain, dest.substr(1), new_path));
    plan.warnings.push_back(fmt::format(
        "{}: {} ({}) is converted to qcow2 as {}: EL's qemu-kvm opens {} read-only only "
        "(plan --keep-format copies it as it is)",
        vm.name, d.target.empty() ? d.path : d.target, d.path, new_path, formats));
    return true;
  }

  void chain_items(const scan::VmInfo &vm, const scan::VmDisk &d, const scan::ImageChain &chain) {
    if (converted_chain(vm, d, chain)) {
      return;
    }
    for (std::size_t n = 0; n < chain.members.size(); ++n) {
      const auto &m = chain.members[n];
      const std::string guest =
          d.target.empty() ? "" : (n == 0 ? d.target : d.target + " (backing file)");
      if (!m.exists) {
        plan.warnings.push_back(
            fmt::format("{}: {} is missing and is not copied", vm.name, m.path));
        continue;
      }
      std::string format = m.format ? std::string(scan::format_name(*m.format)) : "";
      if (format.empty()) {
        format = m.declared_format.empty() ? "raw" : m.declared_format;
      }
      image(vm.name, m.path, format, m.size, m.allocated, guest);
      extent_items(vm, m, guest);
      if (m.data_file && m.data_file->exists && !m.data_file->path.empty()) {
        image(vm.name, m.data_file->path, "raw", m.data_file->size, m.data_file->allocated,
              guest.empty() ? "" : guest + " (external data file)");
        if (place_image(plan.layout, m.data_file->path).relocated) {
          plan.warnings.push_back(
              fmt::format("{}: the external data file {} moves, and the name in {}'s header "
                          "is not rewritten",
                          vm.name, m.data_file->path, m.path));
        }
      }
    }
  }

  // The files a VMDK descriptor lists, copied beside it.
  void extent_items(const scan::VmInfo &vm, const scan::ChainMember &m, const std::string &guest) {
    for (const auto &e : m.extents) {
      if (e.exists) {
        image(vm.name, e.path, "vmdk-extent", e.size, e.allocated,
              guest.empty() ? "" : guest + " (VMDK extent)");
      }
    }
  }

  void lv_item(const scan::VmInfo &vm, const scan::VmDisk &d) {
    const scan::LvFact &lv = *d.lv;
    if (!lv.readable) {
      plan.warnings.push_back(
          fmt::format("{}: LV {} cannot be read whole and is not copied", vm.name, lv.name));
      return;
    }
    const Placement p = place_lv(plan.layout, lv.name);
    PlanItem i;
    i.kind = ItemKind::lv_image;
    i.vm = vm.name;
    i.source = lv.name;
    i.dest = p.dest;
    i.new_path = p.new_path;
    i.format = "raw";
    i.size = lv.size;
    i.allocated = lv.size;
    i.guest_disk = d.target;
    add(std::move(i));
  }

  void vm_items(const scan::VmInfo &vm) {
    for (const auto &d : vm.disks) {
      if (d.lv) {
        lv_item(vm, d);
      } else if (d.chain) {
        chain_items(vm, d, *d.chain);
      }
    }
    if (vm.nvram && vm.nvram->present) {
      payload(ItemKind::nvram, vm.name, vm.nvram->path, vm.nvram->size);
      if (PlanItem *i = find_item(plan, vm.nvram->path); i != nullptr && i->vm == vm.name) {
        i->new_path = place_nvram(vm.name, vm.nvram->path);
      }
    }
    payload(ItemKind::domain_xml, vm.name, vm.xml_path, 0, true, false, vm.autostart);
    for (const auto &s : inv.libvirt.snapshots) {
      if (s.domain_dir == scan::name_on_old_disk(vm)) {
        payload(ItemKind::snapshot_xml, vm.name, s.path, 0);
      }
    }
  }

  void libvirt_items() {
    for (const auto &n : inv.libvirt.networks) {
      payload(ItemKind::network_xml, "", n.path, 0, true, false, n.autostart);
    }
    for (const auto &p : inv.libvirt.pools) {
      payload(ItemKind::pool_xml, "", p.path, 0, true, false, p.autostart);
    }
    for (const auto &s : inv.libvirt.secrets) {
      payload(ItemKind::secret_xml, "", s.path, 0);
      if (s.value_present && s.path.ends_with(".xml")) {
        const std::string value = s.path.substr(0, s.path.size() - 4) + ".base64";
        payload(ItemKind::secret_value, "", value, s.value_size, true, true);
      }
    }
  }

  void host_items() {
    std::vector<HostFile> files = ch.host_files;
    if (files.empty()) {
      const scan::HostProfile &p = inv.profile;
      std::vector<std::string> paths;
      if (p.hostname.source.starts_with("/")) {
        paths.push_back(p.hostname.source);
      }
      for (const auto &i : p.network.interfaces) {
        paths.push_back(i.file);
      }
      if (p.network.dns_source.starts_with("/")) {
        paths.push_back(p.network.dns_source);
      }
      if (inv.libvirt.qemu_conf.present) {
        paths.emplace_back(scan::libvirt_paths::qemu_conf);
      }
      for (const auto &path : paths) {
        if (!path.empty() && std::none_of(files.begin(), files.end(),
                                          [&](const HostFile &f) { return f.path == path; })) {
          files.push_back({path, 0});
        }
      }
    }
    for (const auto &f : files) {
      payload(ItemKind::host_file, "", f.path, f.size, false);
    }
  }
};

std::vector<const scan::VmInfo *> choose_vms(const scan::HostInventory &inv, const PlanChoices &ch,
                                             RescuePlan &plan) {
  std::vector<std::string> names;
  for (const auto &vm : inv.vms) {
    names.push_back(vm.name);
  }
  for (const auto &want : ch.vms) {
    if (!contains(names, want)) {
      throw InputError(fmt::format("no VM named \"{}\" on the old host; its VMs: {}", want,
                                   names.empty() ? std::string("none")
                                                 : fmt::format("{}", fmt::join(names, ", "))));
    }
  }
  std::vector<const scan::VmInfo *> chosen;
  for (const auto &vm : inv.vms) {
    const bool not_ready = vm.readiness == scan::Readiness::not_ready;
    if (!ch.vms.empty() && !contains(ch.vms, vm.name)) {
      plan.skipped.push_back(vm.name + ": not chosen");
      continue;
    }
    if (not_ready && ch.vms.empty()) {
      plan.skipped.push_back(vm.name + ": not ready: " + reasons_of(vm));
      plan.warnings.push_back(
          fmt::format("VM {} is not ready and is left out: {}", vm.name, reasons_of(vm)));
      continue;
    }
    if (not_ready && !ch.include_not_ready) {
      throw InputError(fmt::format("VM {} is not ready ({}); --allow-not-ready takes what can "
                                   "be read of it",
                                   vm.name, reasons_of(vm)));
    }
    if (std::any_of(chosen.begin(), chosen.end(),
                    [&](const scan::VmInfo *v) { return v->name == vm.name; })) {
      continue;
    }
    if (not_ready) {
      plan.warnings.push_back(fmt::format(
          "VM {} is not ready; only its readable files are taken: {}", vm.name, reasons_of(vm)));
    } else if (vm.readiness == scan::Readiness::warnings) {
      for (const auto &r : vm.reasons) {
        plan.warnings.push_back(fmt::format("{}: {}", vm.name, r));
      }
    }
    chosen.push_back(&vm);
    plan.vms.push_back(vm.name);
  }
  if (chosen.empty()) {
    throw InputError(
        inv.vms.empty()
            ? std::string("the old host has no VMs: nothing to copy")
            : std::string("no VM can be rescued: every VM is not ready (see `kvm-rescue scan`); "
                          "--vm NAME --allow-not-ready takes what can be read of one"));
  }
  return chosen;
}

PlanTarget plan_target(const target::TargetInfo &t, const target::Layout &l) {
  PlanTarget p;
  p.kind = t.kind == target::Kind::directory ? TargetKind::directory
           : t.kind == target::Kind::device  ? TargetKind::device
                                             : TargetKind::image;
  p.path = t.path;
  if (t.disk) {
    p.disk = identify_disk(*t.disk);
  }
  const bool dir = t.kind == target::Kind::directory;
  p.fs_type = dir && !t.fs_type.empty() ? t.fs_type : l.fs_type;
  p.el7_compatible = l.el7_compatible;
  p.label = l.label;
  p.oemdrv = !dir && l.oemdrv;
  p.capacity = t.capacity;
  p.fs_uuid = t.fs_uuid;
  return p;
}

KickstartChoices kickstart_defaults(KickstartChoices k, const scan::HostProfile &p) {
  if (k.hostname.empty() && !p.hostname.fallback) {
    k.hostname = p.hostname.name;
  }
  if (k.timezone.empty() && p.timezone.name != "unknown") {
    k.timezone = p.timezone.name;
  }
  if (k.lang.empty()) {
    k.lang = p.locale.lang;
  }
  if (k.keyboard.empty()) {
    k.keyboard = p.locale.keymap;
  }
  if (k.old_logins == scan::Logins{}) {
    k.old_logins = p.accounts; // the Logins part, without the notes
  }
  return k;
}

} // namespace

RescuePlan build_plan(const scan::HostInventory &inv, const std::vector<disk::Disk> &sources,
                      const target::TargetInfo &target, const PlanChoices &choices) {
  RescuePlan plan;
  plan.created = utc_now();
  plan.generator = std::string("kvm-rescue ") + KVMR_VERSION;
  for (const auto &d : sources) {
    plan.sources.push_back(identify_disk(d));
  }
  plan.backend = choices.backend;
  plan.old_hostname = inv.profile.hostname.name;
  plan.layout = choices.layout;
  plan.target = plan_target(target, choices.target_layout);
  plan.kickstart = kickstart_defaults(choices.kickstart, inv.profile);
  plan.host = scan::to_json(inv.profile);

  const std::vector<const scan::VmInfo *> chosen = choose_vms(inv, choices, plan);
  Builder b{inv, choices, plan};
  for (const auto *vm : chosen) {
    b.vm_items(*vm);
  }
  b.libvirt_items();
  b.host_items();
  for (const auto &f : inv.libvirt.networks) {
    if (!f.error.empty()) {
      plan.warnings.push_back(f.error + " (copied as it is)");
    }
  }
  for (const auto &f : inv.libvirt.pools) {
    if (!f.error.empty()) {
      plan.warnings.push_back(f.error + " (copied as it is)");
    }
  }
  for (const auto &f : inv.libvirt.secrets) {
    if (!f.error.empty()) {
      plan.warnings.push_back(f.error + " (copied as it is)");
    }
  }
  std::vector<std::string> renamed;
  for (const auto *vm : chosen) {
    add_vm_rewrites(plan, inv, *vm);
    add_vm_media_rewrites(plan, *vm);
    if (!vm->original_name.empty() && vm->error.empty()) { // an unreadable XML stays as it is
      renamed.push_back(vm->name);
    }
  }
  add_pool_rewrites(plan, inv.libvirt);
  mark_rewritten(plan, renamed);
  plan.bytes_needed = bytes_needed(plan);
  return plan;
}

} // namespace kvmr::plan
