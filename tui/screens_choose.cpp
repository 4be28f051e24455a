// Screens 4-6: which VMs, which target, and the new host's choices.
#include "rescue/plan/plan.hpp"
#include "rescue/text/text.hpp"
#include "tui/screens.hpp"
#include "tui/task.hpp"
#include "tui/widgets.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

namespace kvmr::tui {
namespace {

// Estimated bytes the chosen VMs need on the target, with the plan's margin.
std::uint64_t estimate_needed(const WizardState &s) {
  const VmTotals t = totals(s.source->inventory, s.vm_checked);
  return plan::with_margin(t.allocated);
}

std::string vm_details(const scan::VmInfo &vm) {
  std::string out = fmt::format("{}\n\n", vm.name);
  out += fmt::format("Autostart: {}   vCPUs: {}   RAM: {}   firmware: {}\n",
                     vm.autostart ? "yes" : "no", vm.vcpus, text::human_size(vm.memory_bytes),
                     vm.uefi ? "UEFI" : "BIOS");
  out += fmt::format("Machine: {}   Domain XML: {}\n\n", vm.machine, vm.xml_path);
  for (const auto &d : vm.disks) {
    out += fmt::format("{} {} {} {} ({} virtual, {} to copy)\n", d.target, d.device, d.format,
                       d.path, text::human_size(d.virtual_size), text::human_size(d.allocated));
    for (const auto &e : d.errors) {
      out += "   error: " + e + "\n";
    }
    for (const auto &w : d.warnings) {
      out += "   warning: " + w + "\n";
    }
  }
  if (vm.nvram) {
    out += fmt::format("\nNVRAM: {} ({})\n", vm.nvram->path,
                       vm.nvram->present ? "present" : "missing");
  }
  if (!vm.snapshots.empty()) {
    out += fmt::format("Snapshots: {}\n", fmt::join(vm.snapshots, ", "));
  }
  if (!vm.reasons.empty()) {
    out += "\n";
    for (const auto &r : vm.reasons) {
      out += "- " + r + "\n";
    }
  }
  return out;
}

void show_text(Ui &ui, const std::string &title, int step, const std::string &text) {
  TextView v;
  v.set_text(text);
  for (;;) {
    if (ui.frame(title, step, "Arrows: scroll  Esc/Enter: back")) {
      v.draw(ui, 2, ui.rows() - 3);
    }
    ui.refresh();
    const Key k = ui.key();
    if (k == kEsc || k == kEnter || k == kStop || k == 'q') {
      return;
    }
    v.handle(k, ui.rows() - 3);
  }
}

} // namespace

Nav screen_vms(Ui &ui, WizardState &s) {
  const auto &inv = s.source->inventory;
  ListBox list;
  for (const auto &vm : inv.vms) {
    list.rows.push_back(vm_row(vm));
  }
  list.checked = s.vm_checked;
  for (;;) {
    const VmTotals t = totals(inv, list.checked);
    if (ui.frame("VMs", 4, "Space: tick  i: details  n/Enter: next  Esc: back  ?: help")) {
      ui.put(2, 1, fmt::format("The VMs of {}: tick those to rescue.", inv.profile.hostname.name));
      ui.put(3, 1, "    A NAME               CPU   RAM  DISK/COPY CH NVRAM STATE", Role::dim);
      if (inv.vms.empty()) {
        ui.put(5, 3, "No VM was found on the old host.", Role::warning);
      }
      list.draw(ui, 4, ui.rows() - 8);
      ui.put(ui.rows() - 3, 1,
             fmt::format("Chosen: {} of {} VMs, {} of virtual disks, {} to copy", t.vms,
                         inv.vms.size(), text::human_size(t.virtual_bytes),
                         text::human_size(t.allocated)),
             Role::good);
      ui.put(ui.rows() - 2, 1, "A: autostart  CH: chain depth  DISK/COPY: virtual/allocated",
             Role::dim);
    }
    ui.refresh();
    const Key k = ui.key();
    if (list.handle(k, ui.rows() - 8)) {
      continue;
    }
    if (k == 'i' && list.cursor < inv.vms.size()) {
      show_text(ui, "VM " + inv.vms[list.cursor].name, 4, vm_details(inv.vms[list.cursor]));
    } else if (k == kEnter || k == 'n') {
      if (t.vms == 0) {
        message_box(ui, "VMs", "Tick at least one VM.");
        continue;
      }
      s.vm_checked = list.checked;
      return Nav::next;
    } else if (k == kEsc) {
      s.vm_checked = list.checked;
      return Nav::back;
    } else if (const auto n = common_key(
                   ui, k, "VMs",
                   "Ready VMs are ticked. A VM that is NOT READY lacks a disk or its backing "
                   "chain; ticking it copies what can be read. i shows a VM's disks, chain, "
                   "NVRAM and what is wrong with it.")) {
      return *n;
    }
  }
}

Nav screen_target(Ui &ui, WizardState &s) {
  const std::vector<disk::Disk> sources = chosen_sources(s);
  const std::uint64_t needed = estimate_needed(s);
  target::Layout layout;
  layout.el7_compatible = s.ks.dialect == "el7";
  auto refresh_candidates = [&] {
    std::vector<std::string> expl;
    if (!s.opts.target.empty()) {
      expl.push_back(s.opts.target);
    }
    for (const auto &d : s.opts.disks) {
      expl.push_back(d);
    }
    std::vector<flow::TargetCandidate> found;
    const TaskResult r = run_task(ui, "Looking for a target", 5, [&](Task &t) {
      t.set_status("checking which disks may receive the copy...");
      found = flow::target_candidates(s.disks, expl, sources, needed, layout);
    });
    if (r.ok) {
      s.targets = std::move(found);
    } else if (!r.error.empty()) {
      message_box(ui, "Target", r.error);
    }
    return !r.signalled;
  };
  if (s.targets.empty() && !refresh_candidates()) {
    return Nav::stop;
  }
  ListBox list;
  auto fill = [&] {
    list.rows.clear();
    list.disabled.clear();
    for (const auto &c : s.targets) {
      list.rows.push_back(fmt::format("{} {}{}", path_cell(c.path, 22), c.description,
                                      c.refusals.empty() ? "" : "  [refused]"));
      list.disabled.push_back(!c.refusals.empty());
    }
  };
  fill();
  for (;;) {
    if (ui.frame("Target", 5, "Enter: choose  r: rescan  Esc: back  ?: help  q: quit")) {
      ui.put(2, 1,
             fmt::format("Where the VMs go: the chosen VMs need {} (with margin).",
                         text::human_size(needed)));
      if (s.targets.empty()) {
        ui.put(4, 3, "No disk can take the copy. Attach one and press r.", Role::warning);
      }
      const int h = ui.rows() - 9;
      list.draw(ui, 3, h);
      if (list.cursor < s.targets.size()) {
        const auto &c = s.targets[list.cursor];
        int r = 4 + h;
        if (c.refusals.empty()) {
          ui.put(r, 1,
                 c.is_directory ? "A mounted directory: the VMs are copied into it."
                                : fmt::format("{} free after preparing it (new GPT, data "
                                              "filesystem, OEMDRV).",
                                              text::human_size(c.capacity)),
                 Role::good);
        } else {
          for (const auto &why : c.refusals) {
            if (r < ui.rows() - 1) {
              ui.put(r++, 1, "refused: " + why, Role::warning);
            }
          }
        }
      }
    }
    ui.refresh();
    const Key k = ui.key();
    if (list.handle(k, ui.rows() - 9)) {
      continue;
    }
    if (k == kEnter && list.cursor < s.targets.size()) {
      const auto &c = s.targets[list.cursor];
      if (!c.refusals.empty()) {
        message_box(
            ui, "Target refused",
            fmt::format("{} cannot be the target: {}", c.path, fmt::join(c.refusals, "; ")));
        continue;
      }
      if (c.is_directory) {
        ui.note("target: the directory " + c.path);
        s.target = c.path;
        s.confirm_wipe.clear();
        s.plan.reset();
        return Nav::next;
      }
      std::string model;
      for (const auto &d : s.disks) {
        if (d.path == c.path) {
          model = d.device.model;
        }
      }
      const auto typed = ask_text(
          ui, "Confirm: this disk will be wiped",
          fmt::format("{} ({}) gets a new partition table and filesystem after the review; "
                      "everything on it is lost. Type its name ({}){} to confirm.",
                      c.path, c.description, c.path.substr(c.path.rfind('/') + 1),
                      model.empty() ? "" : " or its model"));
      if (!typed) {
        continue;
      }
      if (!confirms_wipe(*typed, c.path, model)) {
        message_box(ui, "Not confirmed",
                    fmt::format("'{}' does not name {}: nothing chosen.", *typed, c.path));
        continue;
      }
      ui.note(fmt::format("target: {} ({}), its wipe confirmed by typing '{}'", c.path,
                          c.description, *typed));
      s.target = c.path;
      s.confirm_wipe = c.path;
      s.plan.reset();
      return Nav::next;
    }
    if (k == 'r') {
      probe_all(ui, s, 5); // says why when it cannot; the old list stays then
      if (!refresh_candidates()) {
        return Nav::stop;
      }
      fill();
      list.cursor = 0;
      continue;
    }
    if (k == kEsc) {
      return Nav::back;
    }
    if (const auto n =
            common_key(ui, k, "Target",
                       "Disks that may receive the rescued VMs. A disk of the old host, a disk in "
                       "use or one too small is shown but refused, with the reason. A disk is "
                       "prepared (wiped) only after the review, and only when you type its name "
                       "here. The boot medium, loop and CD devices are not offered.")) {
      return *n;
    }
  }
}

namespace {

std::vector<std::string> old_nics(const scan::HostInventory &inv) {
  std::vector<std::string> out;
  for (const auto &b : inv.profile.network.bridges) {
    for (const auto &p : b.ports) {
      out.push_back(p.device);
    }
  }
  for (const auto &b : inv.profile.network.bonds) {
    for (const auto &p : b.slaves) {
      out.push_back(p.device);
    }
  }
  return out;
}

const std::vector<std::string> kDialects{"el7", "el8", "el9"};
const std::vector<std::string> kRootPolicies{"locked", "hash"};

std::string dialect_name(const std::string &d) {
  return d == "el7" ? "el7 (CentOS 7)" : d == "el8" ? "el8 (Alma/Rocky 8)" : "el9 (Alma/Rocky 9)";
}

void cycle(std::string &value, const std::vector<std::string> &choices, bool forward) {
  auto it = std::find(choices.begin(), choices.end(), value);
  std::size_t n = it == choices.end() ? 0 : static_cast<std::size_t>(it - choices.begin());
  n = forward ? (n + 1) % choices.size() : (n + choices.size() - 1) % choices.size();
  value = choices[n];
}

} // namespace

Nav screen_new_host(Ui &ui, WizardState &s) {
  const auto &inv = s.source->inventory;
  auto &ks = s.ks;
  if (ks.hostname.empty()) {
    ks.hostname = inv.profile.hostname.name;
  }
  if (ks.timezone.empty() && inv.profile.timezone.name != "unknown") {
    ks.timezone = inv.profile.timezone.name;
  }
  const std::vector<std::string> choices = os_disk_choices(s.disks, s.source_checked, s.target);
  if (ks.os_disk.empty() && !choices.empty()) {
    ks.os_disk = choices.front();
  }
  const std::vector<std::string> nics = old_nics(inv);
  // The data disk's by-id name on the new host: the target's own when it
  // has one here, else the user names it (an image file, a directory).
  std::string target_by_id;
  for (const auto &d : s.disks) {
    if (d.path == s.target && !d.device.by_id.empty()) {
      target_by_id = d.device.by_id.front();
    }
  }
  std::size_t field = 0;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> rows{
        {"Installs", dialect_name(ks.dialect)},
        {"OS disk", ks.os_disk.empty() ? "(type its /dev/disk/by-id name)" : ks.os_disk},
        {"Data disk", !ks.data_disk.empty()   ? ks.data_disk
                      : !target_by_id.empty() ? target_by_id + " (the target)"
                                              : "(type its /dev/disk/by-id name in the new host)"},
        {"Hostname", ks.hostname},
        {"Time zone", ks.timezone.empty() ? "(as the installer defaults)" : ks.timezone},
        {"Root password", ks.root_password == "locked" ? "locked (SSH key only)" : "a new hash"},
    };
    for (const auto &n : nics) {
      const auto it = ks.nic_map.find(n);
      rows.emplace_back("NIC " + n, it == ks.nic_map.end() ? "same name on the new machine"
                                                           : "now " + it->second);
    }
    if (ui.frame("New host", 6,
                 "Up/Down: field  Enter: change  n: next  Esc: back  ?: help  q: quit")) {
      ui.put(2, 1, "The host the kickstart installs (the OS goes on its own disk):");
      for (std::size_t n = 0; n < rows.size(); ++n) {
        ui.line(4 + static_cast<int>(n),
                fmt::format("{} {:<15} {}", n == field ? ">" : " ", rows[n].first, rows[n].second),
                n == field ? Role::highlight : Role::normal);
      }
      int r = 5 + static_cast<int>(rows.size());
      if (const auto why = os_disk_problem(ks.os_disk, s.disks, s.source_checked, s.target)) {
        ui.put(r++, 1, *why, Role::warning);
      }
      if (!choices.empty()) {
        ui.put(r, 1,
               fmt::format("Disks here that could be the OS disk: {}", fmt::join(choices, ", ")),
               Role::dim);
      }
    }
    ui.refresh();
    const Key k = ui.key();
    if (k == kUp && field > 0) {
      --field;
    } else if (k == kDown && field + 1 < rows.size()) {
      ++field;
    } else if (k == kEnter || k == kSpace || k == kLeft || k == kRight) {
      const bool fwd = k != kLeft;
      if (field == 0) {
        cycle(ks.dialect, kDialects, fwd);
      } else if (field == 5) {
        cycle(ks.root_password, kRootPolicies, fwd);
        if (ks.root_password == "hash" && k == kEnter) {
          if (auto h = ask_text(ui, "Root password hash",
                                "A crypt(3) hash, e.g. from 'openssl passwd -6'.",
                                ks.root_password_hash)) {
            ks.root_password_hash = *h;
          }
        }
      } else if (k == kEnter) {
        const std::string label = rows[field].first;
        std::string *value = field == 1   ? &ks.os_disk
                             : field == 2 ? &ks.data_disk
                             : field == 3 ? &ks.hostname
                             : field == 4 ? &ks.timezone
                                          : nullptr;
        std::string nic_value;
        if (field >= 6) {
          const auto it = ks.nic_map.find(nics[field - 6]);
          nic_value = it == ks.nic_map.end() ? "" : it->second;
          value = &nic_value;
        }
        if (auto v = ask_text(ui, label, "New value (Esc keeps the old one):", *value)) {
          *value = *v;
          if (field >= 6) {
            if (nic_value.empty()) {
              ks.nic_map.erase(nics[field - 6]);
            } else {
              ks.nic_map[nics[field - 6]] = nic_value;
            }
          }
        }
      }
    } else if (k == 'n' || k == kTab) {
      if (const auto why = os_disk_problem(ks.os_disk, s.disks, s.source_checked, s.target)) {
        message_box(ui, "New host", *why);
        continue;
      }
      if (ks.data_disk.empty() && target_by_id.empty()) {
        message_box(ui, "New host",
                    "Name the data disk: the /dev/disk/by-id name the disk that receives the "
                    "VMs will have in the new host (the installer mounts it by that name).");
        continue;
      }
      if (const auto why = os_disk_problem(ks.data_disk, s.disks, s.source_checked, "");
          !ks.data_disk.empty() && why && why->find("old host") != std::string::npos) {
        message_box(ui, "New host", "Data disk: " + *why);
        continue;
      }
      if (!ks.data_disk.empty() && ks.data_disk == ks.os_disk) {
        message_box(ui, "New host", "The OS disk and the data disk must differ.");
        continue;
      }
      if (ks.root_password == "hash" && ks.root_password_hash.empty()) {
        message_box(ui, "New host", "Give the root password hash, or choose another policy.");
        continue;
      }
      s.plan.reset();
      return Nav::next;
    } else if (k == kEsc) {
      return Nav::back;
    } else if (const auto n = common_key(
                   ui, k, "New host",
                   "The OS disk is wiped by the installer, so it can never be a disk of the old "
                   "host or the target: name it by /dev/disk/by-id (it need not be attached "
                   "now). NICs: the name the old bridge port has on the new machine, when it "
                   "differs.")) {
      return *n;
    }
  }
}

} // namespace kvmr::tui
