// Screens 1-3: welcome, the disks with their boot verdicts, the old host.
#include "rescue/disk/probe.hpp"
#include "rescue/disk/sysfs.hpp"
#include "rescue/text/probe_text.hpp"
#include "rescue/util/command.hpp"
#include "tui/screens.hpp"
#include "tui/task.hpp"
#include "tui/widgets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>

#include <sys/stat.h>

namespace kvmr::tui {
namespace {

bool is_directory(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

std::optional<Nav> common_key(Ui &ui, Key k, const std::string &screen, const std::string &help) {
  if (k == kStop) {
    return Nav::stop;
  }
  if (k == kHelp || k == '?') {
    show_help(ui, screen, help);
  } else if (k == 'q' || k == kCtrlC) {
    if (ask_yes_no(ui, "Quit",
                   "Leave the wizard? Nothing more is written; whatever is attached is "
                   "released. A copy already made stays where it is and can be resumed.")) {
      return Nav::quit;
    }
  }
  return std::nullopt;
}

bool probe_all(Ui &ui, WizardState &s, int step) {
  std::vector<std::string> paths = s.opts.disks;
  if (!s.opts.target.empty() && !is_directory(s.opts.target)) {
    paths.push_back(s.opts.target);
  }
  std::vector<disk::Disk> found;
  const TaskResult r = run_task(ui, "Looking at the disks", step, [&](Task &t) {
    SystemCommandRunner runner;
    if (paths.empty()) {
      // Disks still being announced (just after boot on the rescue medium,
      // or a disk plugged in a moment ago) get their /dev/disk/by-id names
      // from udev first. No udev (a container): nothing to wait for.
      t.set_status("waiting for the disks to settle (udev)...");
      (void)runner.run({"udevadm", "settle", "--timeout=30"}, std::chrono::seconds(40));
      t.checkpoint();
      paths = disk::list_block_devices();
    }
    disk::ProbeOptions po;
    for (const auto &p : paths) {
      t.checkpoint();
      t.set_status(fmt::format("reading {} (only reading)", p));
      found.push_back(disk::probe_disk(p, runner, po));
    }
  });
  if (!r.ok) {
    if (!r.error.empty()) {
      message_box(ui, "Disks", "The disks could not be read: " + r.error);
    }
    return false;
  }
  // A rescan keeps the user's ticks (by path) and the opened old host: the
  // Old host screen opens it again only when the ticks change.
  std::vector<bool> ticks = default_sources(found, s.opts.target);
  for (std::size_t n = 0; n < found.size(); ++n) {
    for (std::size_t m = 0; m < s.disks.size() && m < s.source_checked.size(); ++m) {
      if (s.disks[m].path == found[n].path) {
        ticks[n] = s.source_checked[m];
      }
    }
  }
  s.disks = std::move(found);
  s.source_checked = std::move(ticks);
  return true;
}

bool claim_disks(Ui &ui, WizardState &s) {
  if (s.lock) {
    return true;
  }
  std::string holder;
  s.lock = WizardLock::take(holder);
  if (s.lock) {
    ui.note("this wizard works on the disks: " + describe_this_wizard());
    return true;
  }
  message_box(ui, "Another wizard is running",
              fmt::format("Another kvm-rescue wizard works on the disks ({}). Only one at a "
                          "time may: use that console, or leave that wizard first, then press "
                          "Enter here again.",
                          holder));
  return false;
}

Nav screen_welcome(Ui &ui, WizardState &s) {
  static const char *const kText[] = {
      "This wizard brings the KVM guests of a host that no longer boots back to",
      "a new disk, and writes the kickstart that rebuilds the host around them.",
      "",
      "  1. It looks at every disk and says why the old one does not boot.",
      "  2. It opens the old system strictly read-only and finds every VM.",
      "  3. You choose the VMs and the new disk; it copies them there, verified.",
      "  4. It writes a CentOS 7 (or EL8/EL9) kickstart for the new host.",
      "",
      "The old disk is only read, never written: it is opened read-only, its",
      "LVM volumes are not activated, nothing on it is repaired.",
      "",
      "Nothing is written anywhere before you have reviewed it, and a disk is",
      "only prepared after you typed its name.",
  };
  for (;;) {
    if (ui.frame("Welcome", 1, "Enter: start  F1/?: help  q: quit")) {
      int r = 2;
      for (const char *l : kText) {
        ui.put(r++, 2, l);
      }
    }
    ui.refresh();
    const Key k = ui.key();
    if (k == kEnter || k == 'n') {
      if (claim_disks(ui, s)) {
        return Nav::next;
      }
      continue;
    }
    if (k == kEsc) {
      if (const auto n = common_key(ui, static_cast<Key>('q'), "Welcome", "")) {
        return *n;
      }
      continue;
    }
    if (const auto n = common_key(ui, k, "Welcome",
                                  "Enter starts. The wizard works step by step; Esc goes "
                                  "back a step at any time.")) {
      return *n;
    }
  }
}

namespace {

// A disk's evidence (boot code, partitions, filesystems) until Esc or
// Enter; false when a signal came.
bool show_disk(Ui &ui, const disk::Disk &d) {
  TextView details;
  details.set_text(text::render_probe({d}));
  for (;;) {
    if (ui.frame("Disk " + d.path, 2, "Arrows: scroll  Esc/Enter: back")) {
      details.draw(ui, 2, ui.rows() - 3);
    }
    ui.refresh();
    const Key k = ui.key();
    if (k == kStop) {
      return false;
    }
    if (k == kEsc || k == kEnter || k == 'q') {
      return true;
    }
    details.handle(k, ui.rows() - 3);
  }
}

} // namespace

Nav screen_disks(Ui &ui, WizardState &s) {
  if (s.disks.empty() && !probe_all(ui, s, 2)) {
    return Nav::back;
  }
  ListBox list;
  for (const auto &d : s.disks) {
    list.rows.push_back(disk_row(d));
  }
  for (;;) {
    if (ui.frame("Disks", 2, "Enter: details  n: next  r: rescan  Esc: back  ?: help  q: quit")) {
      ui.put(2, 1, "Every disk, read only. Enter shows why a disk boots or not.");
      ui.put(
          3, 1,
          fmt::format(" {:<20} {:<12} {:>9}  {:<11}  {}", "DISK", "MODEL", "SIZE", "TABLE", "BOOT"),
          Role::dim);
      list.draw(ui, 4, ui.rows() - 6);
    }
    ui.refresh();
    const Key k = ui.key();
    const int h = ui.rows() - 6;
    if (list.handle(k, h)) {
      continue;
    }
    if (k == kEnter && list.cursor < s.disks.size()) {
      if (!show_disk(ui, s.disks[list.cursor])) {
        return Nav::stop;
      }
    } else if (k == 'n' || k == kTab) {
      return Nav::next;
    } else if (k == kEsc) {
      return Nav::back;
    } else if (k == 'r') {
      if (probe_all(ui, s, 2)) {
        list.rows.clear();
        for (const auto &d : s.disks) {
          list.rows.push_back(disk_row(d));
        }
        list.cursor = 0;
      }
    } else if (const auto n = common_key(
                   ui, k, "Disks",
                   "One line per disk: its size, partition table and whether BIOS and UEFI "
                   "could boot from it. Enter shows the evidence: boot code, partitions, "
                   "filesystems and their checksums. r reads the disks again (a disk plugged "
                   "in meanwhile shows up).")) {
      return *n;
    }
  }
}

namespace {

// What was found on the opened old host, from row R on.
void draw_found_host(Ui &ui, const WizardState &s, int r) {
  const auto &inv = s.source->inventory;
  const auto &prof = inv.profile;
  ui.put(r++, 1, "Found the old host:", Role::good);
  ui.put(r++, 3, fmt::format("Hostname:   {}", prof.hostname.name));
  ui.put(r++, 3,
         fmt::format("System:     {}",
                     prof.os.release_line.empty() ? prof.os.pretty_name : prof.os.release_line));
  ui.put(r++, 3, fmt::format("Root:       {}", s.source->host->root_device()));
  ui.put(r++, 3,
         fmt::format("Read via:   {}", s.source->host->backend() == access::Backend::kernel
                                           ? "kernel mounts, read-only"
                                           : "the libguestfs appliance, read-only"));
  ui.put(r++, 3, fmt::format("VMs:        {}", inv.vms.size()));
  for (const auto &n : s.source->host->notes()) {
    if (r < ui.rows() - 2) {
      ui.put(r++, 3, "note: " + n, Role::dim);
    }
  }
  for (const auto &w : inv.warnings) {
    if (r < ui.rows() - 2) {
      ui.put(r++, 3, "warning: " + w, Role::warning);
    }
  }
}

void draw_old_host(Ui &ui, const WizardState &s, const ListBox &list, int list_h, bool open) {
  if (!ui.frame("Old host", 3,
                open ? "n/Enter: next  Space: change disks  Esc: back  ?: help  q: quit"
                     : "Space: tick  Enter: open the ticked disks  Esc: back  ?: help")) {
    return;
  }
  ui.put(2, 1, "The disks of the old host (they are opened read-only):");
  list.draw(ui, 3, list_h);
  const int r = 4 + list_h;
  if (open) {
    draw_found_host(ui, s, r);
  } else {
    ui.put(r, 1, "Tick the old host's disks and press Enter to open them.");
  }
}

enum class Opened { yes, no, stopped };

// Opens the disks ticked in CHECKED read-only as the old host (on a
// worker thread), releasing what an earlier choice attached; says why
// when it cannot.
Opened open_old_host(Ui &ui, WizardState &s, const std::vector<bool> &checked) {
  std::vector<std::string> paths;
  for (std::size_t n = 0; n < s.disks.size(); ++n) {
    if (checked[n]) {
      paths.push_back(s.disks[n].path);
    }
  }
  if (paths.empty()) {
    message_box(ui, "Old host", "Tick at least one disk of the old host.");
    return Opened::no;
  }
  s.source.reset(); // releases what an earlier choice attached
  std::unique_ptr<flow::OpenedSource> opened;
  const TaskResult r = run_task(ui, "Opening the old host read-only", 3, [&](Task &t) {
    t.set_status("mounting read-only, reading LVM metadata, finding the VMs...");
    opened = std::make_unique<flow::OpenedSource>(
        flow::open_source(paths, s.opts.backend, [&t] { t.checkpoint(); }));
  });
  if (r.signalled) {
    return Opened::stopped;
  }
  if (!r.ok) {
    if (!r.cancelled) {
      message_box(ui, "Old host", "The old host could not be opened: " + r.error);
    }
    return Opened::no;
  }
  s.source = std::move(opened);
  ui.note(fmt::format("old host opened read-only from {}: {} VM(s) found", fmt::join(paths, ", "),
                      s.source->inventory.vms.size()));
  s.vm_checked = default_vm_selection(s.source->inventory);
  return Opened::yes;
}

} // namespace

Nav screen_old_host(Ui &ui, WizardState &s) {
  ListBox list;
  for (const auto &d : s.disks) {
    list.rows.push_back(disk_row(d));
  }
  list.checked = s.source_checked;
  // Coming back to this screen keeps the host opened earlier.
  std::vector<bool> opened_with = s.source ? s.source_checked : std::vector<bool>{};
  for (;;) {
    const bool open = s.source != nullptr && opened_with == list.checked;
    const int list_h = std::min(static_cast<int>(list.rows.size()), 6);
    draw_old_host(ui, s, list, list_h, open);
    ui.refresh();
    const Key k = ui.key();
    if (list.handle(k, list_h)) {
      continue;
    }
    if ((k == kEnter || k == 'n') && open) {
      s.source_checked = list.checked;
      return Nav::next;
    }
    if (k == kEnter) {
      const Opened o = open_old_host(ui, s, list.checked);
      if (o == Opened::stopped) {
        return Nav::stop;
      }
      if (o == Opened::yes) {
        opened_with = list.checked;
        s.source_checked = list.checked;
      }
      continue;
    }
    if (k == kEsc) {
      return Nav::back;
    }
    if (const auto n = common_key(
            ui, k, "Old host",
            "Tick the disks that belonged to the dead host (all of its LVM disks). Enter "
            "opens them read-only and shows what was found: hostname, release, root "
            "volume. Nothing is written to them.")) {
      return *n;
    }
  }
}

} // namespace kvmr::tui
