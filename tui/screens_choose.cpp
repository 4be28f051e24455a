// Screens 4-6: which VMs, which target, and the new host's choices.
#include "rescue/plan/plan.hpp"
#include "rescue/text/text.hpp"
#include "tui/logins_field.hpp"
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

namespace {

constexpr const char *kRemoteRow = "another KVM host over the network (SSH)";

// What the Target screen looks for: disks that can hold the chosen VMs.
struct TargetSearch {
  std::vector<disk::Disk> sources;
  std::uint64_t needed = 0;
  target::Layout layout;
};

// Asks the core again which disks may receive the copy (on a worker
// thread); says why when it cannot. False when a signal stopped it.
bool refresh_candidates(Ui &ui, WizardState &s, const TargetSearch &search) {
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
    found = flow::target_candidates(s.disks, expl, search.sources, search.needed, search.layout);
  });
  if (r.ok) {
    s.targets = std::move(found);
  } else if (!r.error.empty()) {
    message_box(ui, "Target", r.error);
  }
  return !r.signalled;
}

void fill_targets(ListBox &list, const std::vector<flow::TargetCandidate> &targets) {
  list.rows.clear();
  list.disabled.clear();
  for (const auto &c : targets) {
    list.rows.push_back(fmt::format("{} {}{}", path_cell(c.path, 22), c.description,
                                    c.refusals.empty() ? "" : "  [refused]"));
    list.disabled.push_back(!c.refusals.empty());
  }
  list.rows.emplace_back(kRemoteRow);
  list.disabled.push_back(false);
}

// Below the list: what the candidate under the cursor offers, or why it
// is refused, from row R on.
void draw_candidate(Ui &ui, const flow::TargetCandidate &c, int r) {
  if (c.refusals.empty()) {
    ui.put(r, 1,
           c.is_directory ? "A mounted directory: the VMs are copied into it."
                          : fmt::format("{} free after preparing it (new GPT, data "
                                        "filesystem, OEMDRV).",
                                        text::human_size(c.capacity)),
           Role::good);
    return;
  }
  for (const auto &why : c.refusals) {
    if (r < ui.rows() - 1) {
      ui.put(r++, 1, "refused: " + why, Role::warning);
    }
  }
}

void draw_target(Ui &ui, const WizardState &s, const ListBox &list, std::uint64_t needed) {
  if (!ui.frame("Target", 5, "Enter: choose  r: rescan  Esc: back  ?: help  q: quit")) {
    return;
  }
  ui.put(2, 1,
         fmt::format("Where the VMs go: the chosen VMs need {} (with margin).",
                     text::human_size(needed)));
  if (s.targets.empty()) {
    ui.put(5, 3, "No disk can take the copy. Attach one and press r.", Role::warning);
  }
  const int h = ui.rows() - 9;
  list.draw(ui, 3, h);
  if (list.cursor < s.targets.size()) {
    draw_candidate(ui, s.targets[list.cursor], 4 + h);
  } else {
    ui.put(4 + h, 1, "Copy the VMs straight to your other KVM host and define them there.",
           Role::good);
  }
}

// A disk as the target: only when the user types its name (or model) in
// a pop-up. True when confirmed.
bool confirm_disk(Ui &ui, const WizardState &s, const flow::TargetCandidate &c) {
  std::string model;
  for (const auto &d : s.disks) {
    if (d.path == c.path) {
      model = d.device.model;
    }
  }
  const auto typed =
      ask_text(ui, "Confirm: this disk will be wiped",
               fmt::format("{} ({}) gets a new partition table and filesystem after the review; "
                           "everything on it is lost. Type its name ({}){} to confirm.",
                           c.path, c.description, c.path.substr(c.path.rfind('/') + 1),
                           model.empty() ? "" : " or its model"));
  if (!typed) {
    return false;
  }
  if (!confirms_wipe(*typed, c.path, model)) {
    message_box(ui, "Not confirmed",
                fmt::format("'{}' does not name {}: nothing chosen.", *typed, c.path));
    return false;
  }
  ui.note(fmt::format("target: {} ({}), its wipe confirmed by typing '{}'", c.path, c.description,
                      *typed));
  return true;
}

// Enter on candidate C: true when it became the target.
bool choose_target(Ui &ui, WizardState &s, const flow::TargetCandidate &c) {
  if (!c.refusals.empty()) {
    message_box(ui, "Target refused",
                fmt::format("{} cannot be the target: {}", c.path, fmt::join(c.refusals, "; ")));
    return false;
  }
  if (c.is_directory) {
    ui.note("target: the directory " + c.path);
    s.target = c.path;
    s.confirm_wipe.clear();
    s.plan.reset();
    s.remote.reset();
    return true;
  }
  if (!confirm_disk(ui, s, c)) {
    return false;
  }
  s.target = c.path;
  s.confirm_wipe = c.path;
  s.plan.reset();
  s.remote.reset();
  return true;
}

} // namespace

Nav screen_target(Ui &ui, WizardState &s) {
  TargetSearch search{chosen_sources(s), estimate_needed(s), {}};
  search.layout.el7_compatible = s.ks.dialect == "el7";
  if (s.targets.empty() && !refresh_candidates(ui, s, search)) {
    return Nav::stop;
  }
  ListBox list;
  fill_targets(list, s.targets);
  for (;;) {
    draw_target(ui, s, list, search.needed);
    ui.refresh();
    const Key k = ui.key();
    if (list.handle(k, ui.rows() - 9)) {
      continue;
    }
    if (k == kEnter && list.cursor < s.targets.size()) {
      if (choose_target(ui, s, s.targets[list.cursor])) {
        return Nav::next;
      }
      continue;
    }
    if (k == kEnter) { // the last row: another KVM host
      const Nav n = screen_remote_host(ui, s);
      if (n != Nav::back) {
        return n;
      }
      continue;
    }
    if (k == 'r') {
      probe_all(ui, s, 5); // says why when it cannot; the old list stays then
      if (!refresh_candidates(ui, s, search)) {
        return Nav::stop;
      }
      fill_targets(list, s.targets);
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
                       "here. The boot medium, loop and CD devices are not offered. The last "
                       "row sends the VMs to another KVM host over SSH instead.")) {
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

namespace {

// What the New host screen shows besides the choices themselves.
struct NewHostForm {
  std::vector<std::string> choices; // disks here that could be the OS disk
  std::vector<std::string> nics;    // the old bridge and bond ports
  // The data disk's by-id name on the new host: the target's own when it
  // has one here, else the user names it (an image file, a directory).
  std::string target_by_id;
  std::size_t field = 0; // the row under the cursor
};

using FormRows = std::vector<std::pair<std::string, std::string>>;

// The form, with the choices not made yet taken from the old host.
NewHostForm new_host_form(WizardState &s) {
  const auto &inv = s.source->inventory;
  auto &ks = s.ks;
  if (ks.hostname.empty()) {
    ks.hostname = inv.profile.hostname.name;
  }
  if (ks.timezone.empty() && inv.profile.timezone.name != "unknown") {
    ks.timezone = inv.profile.timezone.name;
  }
  if (ks.old_logins == scan::Logins{}) {
    ks.old_logins = inv.profile.accounts; // its Logins part, for the Logins row
  }
  NewHostForm f;
  f.choices = os_disk_choices(s.disks, s.source_checked, s.target);
  if (ks.os_disk.empty() && !f.choices.empty()) {
    ks.os_disk = f.choices.front();
  }
  f.nics = old_nics(inv);
  for (const auto &d : s.disks) {
    if (d.path == s.target && !d.device.by_id.empty()) {
      f.target_by_id = d.device.by_id.front();
    }
  }
  return f;
}

// One row per field: its label and its value in words. Rows 0-5 are the
// fixed fields, then one per NIC.
FormRows new_host_rows(const plan::KickstartChoices &ks, const NewHostForm &f) {
  FormRows rows{
      {"Installs", dialect_name(ks.dialect)},
      {"OS disk", ks.os_disk.empty() ? "(type its /dev/disk/by-id name)" : ks.os_disk},
      {"Data disk", !ks.data_disk.empty()     ? ks.data_disk
                    : !f.target_by_id.empty() ? f.target_by_id + " (the target)"
                                              : "(type its /dev/disk/by-id name in the new host)"},
      {"Hostname", ks.hostname},
      {"Time zone", ks.timezone.empty() ? "(as the installer defaults)" : ks.timezone},
      {"Logins", logins_row(ks)},
  };
  for (const auto &n : f.nics) {
    const auto it = ks.nic_map.find(n);
    rows.emplace_back("NIC " + n, it == ks.nic_map.end() ? "same name on the new machine"
                                                         : "now " + it->second);
  }
  return rows;
}

void draw_new_host(Ui &ui, const WizardState &s, const NewHostForm &f, const FormRows &rows) {
  if (!ui.frame("New host", 6,
                "Up/Down: field  Enter: change  n: next  Esc: back  ?: help  q: quit")) {
    return;
  }
  ui.put(2, 1, "The host the kickstart installs (the OS goes on its own disk):");
  for (std::size_t n = 0; n < rows.size(); ++n) {
    ui.line(4 + static_cast<int>(n),
            fmt::format("{} {:<15} {}", n == f.field ? ">" : " ", rows[n].first, rows[n].second),
            n == f.field ? Role::highlight : Role::normal);
  }
  int r = 5 + static_cast<int>(rows.size());
  if (const auto why = os_disk_problem(s.ks.os_disk, s.disks, s.source_checked, s.target)) {
    ui.put(r++, 1, *why, Role::warning);
  }
  if (!f.choices.empty()) {
    ui.put(r, 1,
           fmt::format("Disks here that could be the OS disk: {}", fmt::join(f.choices, ", ")),
           Role::dim);
  }
}

// Enter on a typed field (OS disk, data disk, hostname, time zone, a NIC):
// the new value asked in a pop-up; Esc keeps the old one.
void type_field(Ui &ui, plan::KickstartChoices &ks, const NewHostForm &f,
                const std::string &label) {
  std::string *value = f.field == 1   ? &ks.os_disk
                       : f.field == 2 ? &ks.data_disk
                       : f.field == 3 ? &ks.hostname
                       : f.field == 4 ? &ks.timezone
                                      : nullptr;
  std::string nic_value;
  if (f.field >= 6) {
    const auto it = ks.nic_map.find(f.nics[f.field - 6]);
    nic_value = it == ks.nic_map.end() ? "" : it->second;
    value = &nic_value;
  }
  if (auto v = ask_text(ui, label, "New value (Esc keeps the old one):", *value)) {
    *value = *v;
    if (f.field >= 6) {
      if (nic_value.empty()) {
        ks.nic_map.erase(f.nics[f.field - 6]);
      } else {
        ks.nic_map[f.nics[f.field - 6]] = nic_value;
      }
    }
  }
}

// Enter, Space, Left or Right on the current field: a choice cycles
// (Left backwards), a typed field is asked for (Enter only).
void change_field(Ui &ui, plan::KickstartChoices &ks, const NewHostForm &f, const FormRows &rows,
                  Key k) {
  const bool fwd = k != kLeft;
  if (f.field == 0) {
    cycle(ks.dialect, kDialects, fwd);
  } else if (f.field == 5) {
    change_logins(ui, ks, k);
  } else if (k == kEnter) {
    type_field(ui, ks, f, rows[f.field].first);
  }
}

// Why the choices cannot go on to the review yet; nothing when they can.
std::optional<std::string> new_host_refusal(const WizardState &s, const NewHostForm &f) {
  const auto &ks = s.ks;
  if (auto why = os_disk_problem(ks.os_disk, s.disks, s.source_checked, s.target)) {
    return why;
  }
  if (ks.data_disk.empty() && f.target_by_id.empty()) {
    return "Name the data disk: the /dev/disk/by-id name the disk that receives the VMs will have "
           "in the new host (the installer mounts it by that name).";
  }
  if (const auto why = os_disk_problem(ks.data_disk, s.disks, s.source_checked, "");
      !ks.data_disk.empty() && why && why->find("old host") != std::string::npos) {
    return "Data disk: " + *why;
  }
  if (!ks.data_disk.empty() && ks.data_disk == ks.os_disk) {
    return "The OS disk and the data disk must differ.";
  }
  return logins_refusal(ks);
}

} // namespace

Nav screen_new_host(Ui &ui, WizardState &s) {
  NewHostForm f = new_host_form(s);
  for (;;) {
    const FormRows rows = new_host_rows(s.ks, f);
    draw_new_host(ui, s, f, rows);
    ui.refresh();
    const Key k = ui.key();
    if (k == kUp && f.field > 0) {
      --f.field;
    } else if (k == kDown && f.field + 1 < rows.size()) {
      ++f.field;
    } else if (k == kEnter || k == kSpace || k == kLeft || k == kRight) {
      change_field(ui, s.ks, f, rows, k);
    } else if (k == 'n' || k == kTab) {
      if (const auto why = new_host_refusal(s, f)) {
        message_box(ui, "New host", *why);
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
