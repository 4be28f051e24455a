// The wizard's pure rules (see model.hpp).
#include "tui/model.hpp"

#include "rescue/text/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace kvmr::tui {
namespace {

std::string trim(const std::string &s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) {
    return "";
  }
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string base_name(const std::string &path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::string boot_words(const disk::Disk &d) {
  using disk::BootVerdict;
  const BootVerdict bios = d.boot.bios.verdict;
  const BootVerdict uefi = d.boot.uefi.verdict;
  if (bios == BootVerdict::boots || uefi == BootVerdict::boots) {
    return bios == BootVerdict::boots && uefi == BootVerdict::boots ? "boots (BIOS, UEFI)"
           : bios == BootVerdict::boots                             ? "boots (BIOS)"
                                                                    : "boots (UEFI)";
  }
  if (bios == BootVerdict::does_not_boot || uefi == BootVerdict::does_not_boot) {
    return "does not boot";
  }
  if (bios == BootVerdict::unknown || uefi == BootVerdict::unknown) {
    return "boot unknown";
  }
  return "no boot loader";
}

std::string path_cell(const std::string &path, std::size_t width) {
  if (text::columns(path) <= width) {
    return text::fit(path, width);
  }
  // The end of a long path says more than its start: ".../story.img".
  std::size_t start = path.size() - (width - 3);
  while (start < path.size() && (static_cast<unsigned char>(path[start]) & 0xC0U) == 0x80U) {
    ++start;
  }
  return text::fit("..." + path.substr(start), width);
}

std::string disk_row(const disk::Disk &d) {
  if (d.status == disk::DiskStatus::error) {
    return fmt::format("{} cannot be read: {}", path_cell(d.path, 20), d.error);
  }
  std::string what;
  if (d.status == disk::DiskStatus::blank) {
    what = "blank";
  } else if (!d.table.type.empty()) {
    what = fmt::format("{} {} part.", d.table.type == "dos" ? "MBR" : "GPT",
                       d.table.partitions.size());
  } else if (d.whole_disk && !d.whole_disk->type.empty()) {
    what = d.whole_disk->type;
  } else {
    what = "no table";
  }
  const std::string model = !d.device.model.empty()               ? d.device.model
                            : !d.device.loop_backing_file.empty() ? "image file"
                                                                  : "";
  std::string row = fmt::format("{} {} {:>9}  {:<11}", path_cell(d.path, 20), text::fit(model, 12),
                                text::human_size(d.size), what);
  if (d.status != disk::DiskStatus::blank) {
    row += "  " + boot_words(d);
  }
  if (d.status == disk::DiskStatus::problems) {
    row += "  (damage found)";
  }
  if (d.smart.status == disk::SmartStatus::failed) {
    row += "  SMART: FAILING";
  }
  return row;
}

std::vector<disk::Disk> chosen_sources(const WizardState &s) {
  std::vector<disk::Disk> out;
  for (std::size_t n = 0; n < s.disks.size(); ++n) {
    if (n < s.source_checked.size() && s.source_checked[n]) {
      out.push_back(s.disks[n]);
    }
  }
  return out;
}

std::vector<bool> default_sources(const std::vector<disk::Disk> &disks, const std::string &target) {
  std::vector<bool> out;
  out.reserve(disks.size());
  for (const auto &d : disks) {
    out.push_back(d.path != target && d.status != disk::DiskStatus::blank &&
                  d.status != disk::DiskStatus::error && !flow::is_rescue_medium(d));
  }
  return out;
}

std::vector<bool> default_vm_selection(const scan::HostInventory &inv) {
  std::vector<bool> out;
  out.reserve(inv.vms.size());
  for (const auto &vm : inv.vms) {
    out.push_back(vm.readiness != scan::Readiness::not_ready);
  }
  return out;
}

std::string vm_row(const scan::VmInfo &vm) {
  std::uint64_t virt = 0;
  for (const auto &d : vm.disks) {
    if (d.device == "disk") {
      virt += d.virtual_size;
    }
  }
  std::string state;
  switch (vm.readiness) {
  case scan::Readiness::ready: state = "ready"; break;
  case scan::Readiness::warnings: state = "warnings"; break;
  case scan::Readiness::not_ready: state = "NOT READY"; break;
  }
  std::string guest;
  if (vm.guest && vm.guest->state == "found") {
    guest = " " + (vm.guest->product_name.empty() ? vm.guest->distro : vm.guest->product_name);
  }
  return fmt::format("{} {:<18} {:>2} {:>5} {:>5}/{:<5} {:>2} {:<4} {}{}", vm.autostart ? "A" : " ",
                     text::fit(vm.name, 18), vm.vcpus, text::short_size(vm.memory_bytes),
                     text::short_size(virt), text::short_size(vm.allocated), vm.chain_depth,
                     vm.nvram ? (vm.nvram->present ? "yes" : "lost") : "-", state, guest);
}

VmTotals totals(const scan::HostInventory &inv, const std::vector<bool> &checked) {
  VmTotals t;
  for (std::size_t n = 0; n < inv.vms.size() && n < checked.size(); ++n) {
    if (!checked[n]) {
      continue;
    }
    ++t.vms;
    t.allocated += inv.vms[n].allocated;
    for (const auto &d : inv.vms[n].disks) {
      if (d.device == "disk") {
        t.virtual_bytes += d.virtual_size;
      }
    }
  }
  return t;
}

std::vector<std::string> chosen_vms(const scan::HostInventory &inv,
                                    const std::vector<bool> &checked) {
  std::vector<std::string> out;
  for (std::size_t n = 0; n < inv.vms.size() && n < checked.size(); ++n) {
    if (checked[n]) {
      out.push_back(inv.vms[n].name);
    }
  }
  return out;
}

plan::PlanChoices plan_choices(const WizardState &s) {
  plan::PlanChoices ch;
  ch.vms = chosen_vms(s.source->inventory, s.vm_checked);
  ch.include_not_ready = true;
  ch.backend = s.opts.backend;
  return ch;
}

bool confirms_wipe(const std::string &typed, const std::string &path, const std::string &model) {
  const std::string t = trim(typed);
  if (t.empty()) {
    return false;
  }
  return t == path || t == base_name(path) || (!trim(model).empty() && t == trim(model));
}

namespace {

bool names_disk(const std::string &name, const disk::Disk &d) {
  if (name == d.path) {
    return true;
  }
  return std::any_of(d.device.by_id.begin(), d.device.by_id.end(), [&](const std::string &id) {
    return id == name || base_name(id) == base_name(name);
  });
}

} // namespace

std::optional<std::string> os_disk_problem(const std::string &os_disk,
                                           const std::vector<disk::Disk> &all,
                                           const std::vector<bool> &is_source,
                                           const std::string &target) {
  const std::string name = trim(os_disk);
  if (name.empty()) {
    return std::string("give the new OS disk's /dev/disk/by-id name (need not be attached)");
  }
  if (name == target) {
    return fmt::format("{} is the target that receives the rescued VMs", name);
  }
  for (std::size_t n = 0; n < all.size(); ++n) {
    if (!names_disk(name, all[n])) {
      continue;
    }
    if (all[n].path == target) {
      return fmt::format("{} is the target that receives the rescued VMs", name);
    }
    if (n < is_source.size() && is_source[n]) {
      return fmt::format("{} is a disk of the old host ({}): it is only read", name, all[n].path);
    }
  }
  return std::nullopt;
}

std::vector<std::string> os_disk_choices(const std::vector<disk::Disk> &all,
                                         const std::vector<bool> &is_source,
                                         const std::string &target) {
  std::vector<std::string> out;
  for (std::size_t n = 0; n < all.size(); ++n) {
    if (all[n].path == target || (n < is_source.size() && is_source[n])) {
      continue;
    }
    for (const auto &id : all[n].device.by_id) {
      if (id.find("/wwn-") == std::string::npos && id.find("-part") == std::string::npos) {
        out.push_back(id);
        break;
      }
    }
  }
  return out;
}

plan::RescuePlan answer_file_plan(plan::RescuePlan p, const std::string &path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string &key = p.target.identity;
  if (key.starts_with(dir + "/") && key.find('/', dir.size() + 1) == std::string::npos) {
    key = key.substr(dir.size() + 1);
  }
  return p;
}

std::string nic_row(const net::Nic &n) {
  std::vector<std::string> addrs;
  for (const auto &a : n.addresses) {
    addrs.push_back(fmt::format("{}/{}", a.address, a.prefix));
  }
  return fmt::format("{} {:<10} {:<17} {:<12} {}", text::fit(n.name, 12),
                     net::link_state_name(n.link), n.mac, text::fit(n.driver, 12),
                     addrs.empty() ? std::string("(no address)")
                                   : fmt::format("{}", fmt::join(addrs, " ")));
}

std::string nic_addresses(const std::vector<net::Nic> &nics) {
  std::vector<std::string> out;
  for (const auto &n : nics) {
    for (const auto &a : n.addresses) {
      if (a.scope != "link" && a.scope != "host") {
        out.push_back(fmt::format("{} {}/{}", n.name, a.address, a.prefix));
      }
    }
  }
  return fmt::format("{}", fmt::join(out, ", "));
}

std::string restore_choices_line(const plan::RestoreChoices &c) {
  return fmt::format("s: start the autostart VMs: {}   e: allow emulation: {}",
                     c.start ? "YES" : "no", c.allow_emulation ? "YES" : "no");
}

std::string renames_line(const plan::RestoreChoices &c) {
  if (c.renames.empty()) {
    return "r: rename a VM whose name that host already has";
  }
  std::vector<std::string> each;
  for (const auto &r : c.renames) {
    each.push_back(fmt::format("{} as {}", r.from, r.to));
  }
  return fmt::format("r: renamed: {}", fmt::join(each, ", "));
}

std::string bar(std::uint64_t done, std::uint64_t total, int width) {
  if (width <= 2) {
    return "";
  }
  const auto inner = static_cast<std::size_t>(width - 2);
  const double f =
      total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const auto full = static_cast<std::size_t>(std::floor(f * static_cast<double>(inner)));
  // Built in place: "[" + std::string(...) trips GCC 12's -Wrestrict at -O3.
  std::string out;
  out.reserve(inner + 2);
  out += '[';
  out.append(full, '#');
  out.append(inner - full, '.');
  out += ']';
  return out;
}

std::string duration_text(std::optional<double> seconds) {
  if (!seconds || *seconds < 0 || !std::isfinite(*seconds)) {
    return "--";
  }
  const auto s = static_cast<long long>(std::llround(*seconds));
  if (s >= 3600) {
    return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  }
  if (s >= 60) {
    return fmt::format("{}m{:02}s", s / 60, s % 60);
  }
  return fmt::format("{}s", s);
}

std::string session_log_words(const WizardState &s) {
  if (!s.log || !s.log->on()) {
    return {};
  }
  if (!s.log_on_target.empty()) {
    return fmt::format("\nSession log: {} (also {} here)\n", s.log_on_target, s.log->path());
  }
  return fmt::format("\nSession log: {} only (not on any target; copy it off before you "
                     "power off if you need it)\n",
                     s.log->path());
}

} // namespace kvmr::tui
