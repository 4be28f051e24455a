// The kickstart text: header, install source, locale, network, security,
// storage, the %pre data-volume check (pre_check.hpp), packages, %post.
// Dialect differences are spelled out where each line is made.
#include "kickstart/render.hpp"

#include "kickstart/ks_doc.hpp"
#include "kickstart/logins.hpp"
#include "kickstart/post.hpp"
#include "kickstart/pre_check.hpp"
#include "kickstart/safety.hpp"
#include "rescue/scan/vm_name.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace kvmr::kickstart {
namespace {

std::string join(const std::vector<std::string> &v, const char *sep) {
  std::string out;
  for (const auto &s : v) {
    if (!out.empty()) {
      out += sep;
    }
    out += s;
  }
  return out;
}

// A value of FIELD that a kickstart command cannot carry: it would end
// the line (and let the rest become commands) for pykickstart or bash.
void check_one_line(std::string_view field, std::string_view value) {
  if (has_line_break_or_control(value)) {
    throw InputError(fmt::format("{} \"{}\" holds a line break or control character: a "
                                 "kickstart cannot carry it (was it read from a damaged file?)",
                                 field, scan::escaped_name(value)));
  }
}

// A value a command takes by position ("lang X", "part X"): quoted or
// not, pykickstart reads a word starting with '-' as an option.
void check_positional(std::string_view field, std::string_view value) {
  if (!value.empty() && value.front() == '-') {
    throw InputError(fmt::format("{} \"{}\" starts with '-': the installer would read it as an "
                                 "option",
                                 field, scan::escaped_name(value)));
  }
}

// Every value a command line carries, by the name the user knows it by.
void check_values(const Profile &p) {
  check_positional("language", p.lang);
  check_positional("time zone", p.timezone);
  check_positional("OS volume group", p.vg_name);
  for (const auto &d : p.data_disks) {
    check_positional("data mount point", d.mountpoint);
    check_positional("data volume group", d.vg);
  }
  for (const auto &[field, value] :
       std::vector<std::pair<std::string, std::string>>{{"install URL", p.install_url},
                                                        {"OS disk", p.os_disk},
                                                        {"time zone", p.timezone},
                                                        {"language", p.lang},
                                                        {"keyboard", p.keyboard},
                                                        {"X11 layout", p.x11_layout},
                                                        {"SELinux mode", p.selinux},
                                                        {"OS volume group", p.vg_name}}) {
    check_one_line(field, value);
  }
  for (const auto &n : p.network) {
    for (const auto &v : {n.device, n.ip, n.netmask, n.gateway}) {
      check_one_line("network device " + scan::escaped_name(n.device), v);
    }
    for (const auto &v : n.bridge_slaves) {
      check_one_line("bridge port of " + scan::escaped_name(n.device), v);
    }
    for (const auto &v : n.nameservers) {
      check_one_line("name server of " + scan::escaped_name(n.device), v);
    }
  }
  for (const auto &d : p.data_disks) {
    for (const auto &v : {d.disk, d.partition, d.mountpoint, d.vg, d.lv, d.md}) {
      check_one_line("data disk " + scan::escaped_name(d.disk), v);
    }
  }
}

void check_profile(const Profile &p) {
  check_values(p);
  if (p.os_disk.empty()) {
    throw InputError("no OS disk given: name the new OS disk with --os-disk "
                     "(a /dev/disk/by-id name)");
  }
  if (!valid_hostname(p.hostname)) {
    throw InputError(fmt::format("hostname '{}' is not valid for the installer (letters, digits, "
                                 "'-' and '.', at most 253 characters): give one with --hostname",
                                 p.hostname));
  }
  check_logins(p);
  if (p.data_disks.empty()) {
    throw InputError("no data disk: the kickstart must mount the disk with the rescued VMs");
  }
}

void add_locale(KsDoc &ks, const Profile &p) {
  ks.command("lang " + ks_quote(p.lang));
  std::string kb = "keyboard --vckeymap=" + ks_quote(p.keyboard);
  kb += " --xlayouts=" + ks_quote(p.x11_layout.empty() ? p.keyboard : p.x11_layout);
  ks.command(kb);
  ks.command(fmt::format("timezone {}{}", ks_quote(p.timezone),
                         p.utc ? (p.dialect == Dialect::el7 ? " --isUtc" : " --utc") : ""));
}

void add_network(KsDoc &ks, const Profile &p) {
  for (const auto &n : p.network) {
    std::string line = "network --device=" + ks_quote(n.device);
    if (!n.bridge_slaves.empty()) {
      line += " --bridgeslaves=" + ks_quote(join(n.bridge_slaves, ","));
    }
    if (n.dhcp) {
      line += " --bootproto=dhcp";
    } else {
      line += " --bootproto=static --ip=" + ks_quote(n.ip) + " --netmask=" + ks_quote(n.netmask);
    }
    if (!n.gateway.empty()) {
      line += " --gateway=" + ks_quote(n.gateway);
    }
    if (!n.nameservers.empty()) {
      line += " --nameserver=" + ks_quote(join(n.nameservers, ","));
    }
    if (n.mtu) {
      line += fmt::format(" --mtu={}", *n.mtu);
    }
    line += n.onboot ? " --onboot=yes" : " --onboot=no";
    if (n.activate) {
      line += " --activate";
    }
    ks.command(line);
  }
  ks.command("network --hostname=" + ks_quote(p.hostname));
}

void add_security(KsDoc &ks, const Profile &p) {
  for (auto &l : login_commands(p)) { // keys and sudoers.d: in %post
    ks.command(std::move(l));
  }
  if (p.dialect == Dialect::el7) {
    ks.command("auth --enableshadow --passalgo=sha512");
  }
  ks.command("selinux --" + p.selinux);
  ks.command("firewall --enabled --service=ssh");
}

} // namespace

std::uint64_t swap_mib(std::uint64_t os_disk_bytes) {
  if (os_disk_bytes == 0) {
    return 0;
  }
  const std::uint64_t disk_mib = os_disk_bytes >> 20U;
  const std::uint64_t swap = std::clamp<std::uint64_t>(disk_mib / 32, 2048, 16384);
  // reqpart (ESP or BIOS boot, at most 600 MiB), /boot, swap and a 10 GiB root.
  if (disk_mib < 600 + 1024 + swap + 10240) {
    throw InputError(fmt::format("the OS disk holds {} MiB: too small for /boot, {} MiB of swap "
                                 "and a 10 GiB root",
                                 disk_mib, swap));
  }
  return swap;
}

namespace {

// Only the OS disk is cleared; every data disk is only mounted.
void add_storage(KsDoc &ks, const Profile &p) {
  std::vector<std::string> use{p.os_disk};
  for (const auto &d : p.data_disks) {
    for (const auto &disk : disks_of(d)) {
      if (std::find(use.begin(), use.end(), disk) == use.end()) {
        use.push_back(disk);
      }
    }
  }
  ks.command("ignoredisk --only-use=" + ks_quote(join(use, ",")));
  ks.command("clearpart --all --initlabel --drives=" + ks_quote(p.os_disk));
  ks.command("bootloader --location=mbr --boot-drive=" + ks_quote(p.os_disk));
  ks.command("reqpart");
  ks.command("part /boot --fstype=xfs --size=1024 --ondisk=" + ks_quote(p.os_disk));
  ks.command("part pv.kvmr01 --size=1 --grow --ondisk=" + ks_quote(p.os_disk));
  ks.command("volgroup " + ks_quote(p.vg_name) + " pv.kvmr01");
  // Without the disk's size, anaconda sizes swap from the RAM.
  const std::uint64_t swap = swap_mib(p.os_disk_bytes);
  ks.command("logvol swap --vgname=" + ks_quote(p.vg_name) + " --name=swap " +
             (swap == 0 ? std::string("--recommended") : fmt::format("--size={}", swap)));
  ks.command("logvol / --vgname=" + ks_quote(p.vg_name) +
             " --name=root --fstype=xfs --size=10240 --grow");
  // pykickstart: --noformat on volgroup, logvol and raid means "use the
  // existing one" (it sets preexist itself), and an existing VG or array
  // takes no member list.
  for (const auto &d : p.data_disks) {
    switch (d.kind) {
    case DataKind::lvm:
      ks.command("volgroup " + ks_quote(d.vg) + " --noformat --useexisting");
      ks.command("logvol " + ks_quote(d.mountpoint) + " --vgname=" + ks_quote(d.vg) +
                 " --name=" + ks_quote(d.lv) + " --noformat --useexisting");
      break;
    case DataKind::md:
      ks.command("raid " + ks_quote(d.mountpoint) + " --device=" + ks_quote(d.md) +
                 " --noformat --useexisting");
      break;
    case DataKind::partition:
      ks.command("part " + ks_quote(d.mountpoint) + " --onpart=" + ks_quote(d.partition) +
                 " --noformat");
      break;
    }
  }
}

void add_packages(KsDoc &ks, const Profile &p) {
  std::vector<std::string> pkgs;
  pkgs.emplace_back(p.dialect == Dialect::el9 ? "@^minimal-environment"
                                              : "@^virtualization-host-environment");
  for (const char *pkg : {"qemu-kvm", "libvirt", "virt-install", "libguestfs-tools", "chrony"}) {
    pkgs.emplace_back(pkg);
  }
  if (p.uefi_guests) {
    pkgs.emplace_back(ovmf_package(p.dialect));
  }
  ks.section("%packages", pkgs);
}

} // namespace

std::string ks_quote(std::string_view value) {
  if (has_line_break_or_control(value)) { // check_values names the field first
    throw InputError(fmt::format("a kickstart value holds a line break or control character: {}",
                                 scan::escaped_name(value)));
  }
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("/._-:,=+@%").find(c) != std::string_view::npos;
  });
  if (plain) {
    return std::string(value);
  }
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

bool valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t dot = std::min(name.find('.', start), name.size());
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') {
        return false;
      }
    }
    start = dot + 1;
  }
  return true;
}

std::string render(const Profile &p, const PostPayload &post) {
  check_profile(p);
  KsDoc ks;
  ks.comment(fmt::format("# Kickstart for the new KVM host {} ({}), written by kvm-rescue.",
                         p.hostname, to_string(p.dialect)));
  ks.comment("# The OS disk is cleared and installed; the disks with the rescued VMs are");
  ks.comment("# only mounted (--noformat) and never named by clearpart.");
  if (p.dialect == Dialect::el7) {
    ks.command("install");
  }
  ks.command("text");
  ks.command(p.install_url.empty() ? "cdrom" : "url --url=" + ks_quote(p.install_url));
  add_locale(ks, p);
  add_network(ks, p);
  add_security(ks, p);
  ks.command("firstboot --disable");
  ks.command("skipx");
  add_storage(ks, p);
  ks.command("reboot");
  ks.blank();
  // Before anything is written: the data volume must be the rescued one.
  const KsSection pre_sec = pre_section(p);
  ks.section(pre_sec.header, pre_sec.body);
  ks.blank();
  add_packages(ks, p);
  ks.blank();
  const KsSection post_sec = post_section(p, post);
  ks.section(post_sec.header, post_sec.body);
  std::string text = ks.text();
  auto problems = check_structure(text, ks.intended());
  for (auto &x : check_safety(text, p)) {
    problems.push_back(std::move(x));
  }
  if (!problems.empty()) {
    throw InputError("refusing to write an unsafe kickstart: " + join(problems, "; "));
  }
  return text;
}

} // namespace kvmr::kickstart
