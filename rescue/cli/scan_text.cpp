// Text rendering of the inventory (see scan_text.hpp).
#include "rescue/cli/scan_text.hpp"

#include "rescue/text/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kvmr::cli {

using text::fit;
using text::human_size;
using text::short_size;
using text::wrap;

namespace {

// Column widths; with single spaces between them the row is 79 columns.
constexpr std::size_t kName = 16;
constexpr std::size_t kAuto = 4;
constexpr std::size_t kCpu = 3;
constexpr std::size_t kRam = 5;
constexpr std::size_t kDisk = 22;
constexpr std::size_t kNvram = 5;
constexpr std::size_t kNet = 10;
constexpr std::size_t kState = 7;

void line(std::string &out, const std::string &text, const std::string &first = "  ",
          const std::string &rest = "    ") {
  for (const auto &l : wrap(text, first, rest)) {
    out += l + '\n';
  }
}

std::string network_summary(const scan::NetworkProfile &n) {
  std::vector<std::string> parts;
  for (const auto &i : n.interfaces) {
    if (!i.bridge.empty() || !i.master.empty()) {
      continue; // shown with its bridge or bond
    }
    std::string s = i.device;
    for (const auto &b : n.bridges) {
      if (b.device == i.device) {
        std::vector<std::string> ports;
        for (const auto &p : b.ports) {
          ports.push_back(p.mac.empty() ? p.device : p.device + " " + p.mac);
        }
        s += fmt::format(" (bridge of {})", fmt::join(ports, ", "));
      }
    }
    if (i.bootproto == scan::BootProto::dhcp) {
      s += " dhcp";
    } else {
      for (const auto &a : i.addresses) {
        s += " " + a.address + (a.prefix ? "/" + std::to_string(*a.prefix) : "");
      }
    }
    parts.push_back(s);
  }
  std::string out =
      parts.empty() ? "no ifcfg interfaces" : fmt::format("{}", fmt::join(parts, "; "));
  if (!n.gateway.address.empty()) {
    out += ", gateway " + n.gateway.address;
  }
  if (!n.dns.empty()) {
    out += fmt::format(", DNS {}", fmt::join(n.dns, " "));
  }
  return out;
}

std::string nets_cell(const scan::VmInfo &vm) {
  std::vector<std::string> names;
  for (const auto &n : vm.networks) {
    const auto sp = n.find(' ');
    names.push_back(sp == std::string::npos ? n : n.substr(sp + 1));
  }
  return names.empty() ? "-" : fmt::format("{}", fmt::join(names, ","));
}

} // namespace

std::string disk_cell(const scan::VmDisk &d) {
  std::string s = d.target.empty() ? "?" : d.target;
  if (d.lv) {
    return s + " LV " + short_size(d.lv->size);
  }
  if (d.device == "cdrom" || d.device == "floppy") {
    return s + " " + d.device + (d.path.empty() ? " empty" : "");
  }
  s += " " + short_size(d.virtual_size) + "/" + short_size(d.allocated);
  if (d.chain && !d.chain->members.empty() && d.chain->members.front().format) {
    s += " " + std::string(scan::format_name(*d.chain->members.front().format));
  }
  if (d.chain && d.chain->depth > 1) {
    s += fmt::format(" x{}", d.chain->depth);
  }
  return s;
}

std::string render_scan(const ScanHeader &h, const scan::HostInventory &inv) {
  const scan::HostProfile &p = inv.profile;
  std::string out;
  const std::string release = !p.os.release_line.empty()
                                  ? p.os.release_line
                                  : (p.os.pretty_name.empty() ? "unknown OS" : p.os.pretty_name);
  line(out, fmt::format("Old host {}: {}", p.hostname.name, release), "", "  ");
  line(out, fmt::format("read through {}; root filesystem {}", h.backend, h.root));
  line(out, "network: " + network_summary(p.network));
  line(out, fmt::format("time zone {}, language {}, keyboard {}, SELinux {}", p.timezone.name,
                        p.locale.lang.empty() ? "-" : p.locale.lang,
                        p.locale.keymap.empty() ? "-" : p.locale.keymap,
                        p.selinux.mode.empty() ? "-" : p.selinux.mode));
  std::vector<std::string> units;
  for (const auto &s : p.services) {
    units.push_back(s.unit.substr(0, s.unit.rfind(".service")));
  }
  line(out,
       fmt::format("enabled: {}", units.empty() ? "-" : fmt::format("{}", fmt::join(units, " "))));
  line(out,
       fmt::format("root password: {}{}; installer kickstart: {}", to_string(p.root_password.state),
                   p.root_password.algorithm.empty()
                       ? ""
                       : " (" + p.root_password.algorithm + ", not shown)",
                   p.kickstart.present ? "/root/anaconda-ks.cfg" : "none"));
  line(out, "logins: " + scan::logins_summary(p.accounts));
  std::size_t secrets = 0;
  for (const auto &s : inv.libvirt.secrets) {
    secrets += s.secret ? 1U : 0U;
  }
  line(out, fmt::format("libvirt: {} VM(s), {} network(s), {} pool(s), {} secret(s) (values not "
                        "shown), {} snapshot(s)",
                        inv.vms.size(), inv.libvirt.networks.size(), inv.libvirt.pools.size(),
                        secrets, inv.libvirt.snapshots.size()));
  out += '\n';
  out += fit("VM", kName) + " " + fit("AUTO", kAuto) + " " + fit("CPU", kCpu) + " " +
         fit("RAM", kRam) + " " + fit("DISKS virt/alloc", kDisk) + " " + fit("NVRAM", kNvram) +
         " " + fit("NET", kNet) + " " + "STATE\n";
  std::uint64_t total = 0;
  for (const auto &vm : inv.vms) {
    total += vm.allocated;
    const std::string nvram = !vm.nvram ? "-" : (vm.nvram->present ? "yes" : "LOST");
    const std::string state = vm.readiness == scan::Readiness::ready      ? "ready"
                              : vm.readiness == scan::Readiness::warnings ? "warn"
                                                                          : "MISSING";
    std::vector<std::string> disks;
    for (const auto &d : vm.disks) {
      disks.push_back(disk_cell(d));
    }
    if (disks.empty()) {
      disks.emplace_back("-");
    }
    std::string row = fit(vm.name, kName) + " " + fit(vm.autostart ? "yes" : "no", kAuto) + " ";
    if (vm.error.empty()) {
      row += fmt::format("{:>{}} {:>{}} ", vm.vcpus, kCpu, short_size(vm.memory_bytes), kRam);
    } else {
      row += fit("?", kCpu) + " " + fit("?", kRam) + " ";
    }
    row += fit(disks.front(), kDisk) + " " + fit(nvram, kNvram) + " " + fit(nets_cell(vm), kNet) +
           " " + fit(state, kState);
    while (!row.empty() && row.back() == ' ') {
      row.pop_back();
    }
    out += row + '\n';
    for (std::size_t i = 1; i < disks.size(); ++i) {
      out += std::string(kName + kAuto + kCpu + kRam + 4, ' ') + disks[i] + '\n';
    }
    if (vm.guest && vm.guest->state == "found") {
      const std::string os = vm.guest->product_name.empty()
                                 ? vm.guest->distro + " " + vm.guest->version
                                 : vm.guest->product_name;
      line(out,
           "guest: " + os + (vm.guest->hostname.empty() ? "" : ", hostname " + vm.guest->hostname));
    } else if (vm.guest) {
      line(out, "guest: " + vm.guest->state +
                    (vm.guest->notes.empty() ? "" : " (" + vm.guest->notes.front() + ")"));
    }
  }
  line(out, fmt::format("{} VM(s), {} to copy", inv.vms.size(), human_size(total)), "", "  ");
  std::vector<std::string> warnings;
  for (const auto &vm : inv.vms) {
    for (const auto &r : vm.reasons) {
      warnings.push_back(vm.name + ": " + r);
    }
  }
  warnings.insert(warnings.end(), inv.warnings.begin(), inv.warnings.end());
  for (const auto &n : p.notes) {
    warnings.push_back(n.text());
  }
  warnings.insert(warnings.end(), h.notes.begin(), h.notes.end());
  if (!warnings.empty()) {
    out += "\nWarnings:\n";
    for (const auto &w : warnings) {
      line(out, w, "  ! ", "    ");
    }
  }
  return out;
}

} // namespace kvmr::cli
