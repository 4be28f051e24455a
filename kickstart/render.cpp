// The kickstart text: header, install source, locale, network, security,
// storage, packages, %post. Dialect differences are spelled out where
// each line is made.
#include "kickstart/render.hpp"

#include "kickstart/post.hpp"
#include "kickstart/safety.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
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

void check_profile(const Profile &p) {
  if (p.os_disk.empty()) {
    throw InputError("no OS disk given: name the new OS disk with --os-disk "
                     "(a /dev/disk/by-id name)");
  }
  if (!valid_hostname(p.hostname)) {
    throw InputError(fmt::format("hostname '{}' is not valid for the installer (letters, digits, "
                                 "'-' and '.', at most 253 characters): give one with --hostname",
                                 p.hostname));
  }
  if (p.root == RootPolicy::hash && p.root_hash.empty()) {
    throw InputError("root password policy 'hash' needs a crypt(3) hash");
  }
  if (p.data_disks.empty()) {
    throw InputError("no data disk: the kickstart must mount the disk with the rescued VMs");
  }
}

void add_locale(std::vector<std::string> &ks, const Profile &p) {
  ks.push_back("lang " + ks_quote(p.lang));
  std::string kb = "keyboard --vckeymap=" + ks_quote(p.keyboard);
  kb += " --xlayouts=" + ks_quote(p.x11_layout.empty() ? p.keyboard : p.x11_layout);
  ks.push_back(kb);
  ks.push_back(fmt::format("timezone {}{}", ks_quote(p.timezone),
                           p.utc ? (p.dialect == Dialect::el7 ? " --isUtc" : " --utc") : ""));
}

void add_network(std::vector<std::string> &ks, const Profile &p) {
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
    ks.push_back(line);
  }
  ks.push_back("network --hostname=" + ks_quote(p.hostname));
}

void add_security(std::vector<std::string> &ks, const Profile &p) {
  if (p.root == RootPolicy::hash) {
    ks.push_back("rootpw --iscrypted " + ks_quote(p.root_hash));
  } else {
    ks.emplace_back("rootpw --lock");
    // EL7's installer has no sshkey command: %post installs the key.
    if (!p.root_sshkey.empty() && p.dialect != Dialect::el7) {
      ks.push_back("sshkey --username=root " + ks_quote(p.root_sshkey));
    }
  }
  if (p.dialect == Dialect::el7) {
    ks.emplace_back("auth --enableshadow --passalgo=sha512");
  }
  ks.push_back("selinux --" + p.selinux);
  ks.emplace_back("firewall --enabled --service=ssh");
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
void add_storage(std::vector<std::string> &ks, const Profile &p) {
  std::vector<std::string> use{p.os_disk};
  for (const auto &d : p.data_disks) {
    for (const auto &disk : disks_of(d)) {
      if (std::find(use.begin(), use.end(), disk) == use.end()) {
        use.push_back(disk);
      }
    }
  }
  ks.push_back("ignoredisk --only-use=" + ks_quote(join(use, ",")));
  ks.push_back("clearpart --all --initlabel --drives=" + ks_quote(p.os_disk));
  ks.push_back("bootloader --location=mbr --boot-drive=" + ks_quote(p.os_disk));
  ks.emplace_back("reqpart");
  ks.push_back("part /boot --fstype=xfs --size=1024 --ondisk=" + ks_quote(p.os_disk));
  ks.push_back("part pv.kvmr01 --size=1 --grow --ondisk=" + ks_quote(p.os_disk));
  ks.push_back("volgroup " + p.vg_name + " pv.kvmr01");
  // Without the disk's size, anaconda sizes swap from the RAM.
  const std::uint64_t swap = swap_mib(p.os_disk_bytes);
  ks.push_back("logvol swap --vgname=" + p.vg_name + " --name=swap " +
               (swap == 0 ? std::string("--recommended") : fmt::format("--size={}", swap)));
  ks.push_back("logvol / --vgname=" + p.vg_name + " --name=root --fstype=xfs --size=10240 --grow");
  // pykickstart: --noformat on volgroup, logvol and raid means "use the
  // existing one" (it sets preexist itself), and an existing VG or array
  // takes no member list.
  for (const auto &d : p.data_disks) {
    switch (d.kind) {
    case DataKind::lvm:
      ks.push_back("volgroup " + ks_quote(d.vg) + " --noformat --useexisting");
      ks.push_back("logvol " + ks_quote(d.mountpoint) + " --vgname=" + ks_quote(d.vg) +
                   " --name=" + ks_quote(d.lv) + " --noformat --useexisting");
      break;
    case DataKind::md:
      ks.push_back("raid " + ks_quote(d.mountpoint) + " --device=" + ks_quote(d.md) +
                   " --noformat --useexisting");
      break;
    case DataKind::partition:
      ks.push_back("part " + ks_quote(d.mountpoint) + " --onpart=" + ks_quote(d.partition) +
                   " --noformat");
      break;
    }
  }
}

void add_packages(std::vector<std::string> &ks, const Profile &p) {
  ks.emplace_back("%packages");
  if (p.dialect == Dialect::el9) {
    ks.emplace_back("@^minimal-environment");
  } else {
    ks.emplace_back("@^virtualization-host-environment");
  }
  for (const char *pkg : {"qemu-kvm", "libvirt", "virt-install", "libguestfs-tools", "chrony"}) {
    ks.emplace_back(pkg);
  }
  if (p.uefi_guests) {
    ks.emplace_back(ovmf_package(p.dialect));
  }
  ks.emplace_back("%end");
}

} // namespace

std::string ks_quote(std::string_view value) {
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
  std::vector<std::string> ks;
  ks.push_back(fmt::format("# Kickstart for the new KVM host {} ({}), written by kvm-rescue.",
                           p.hostname, to_string(p.dialect)));
  ks.emplace_back("# The OS disk is cleared and installed; the disks with the rescued VMs are");
  ks.emplace_back("# only mounted (--noformat) and never named by clearpart.");
  if (p.dialect == Dialect::el7) {
    ks.emplace_back("install");
  }
  ks.emplace_back("text");
  ks.push_back(p.install_url.empty() ? "cdrom" : "url --url=" + ks_quote(p.install_url));
  add_locale(ks, p);
  add_network(ks, p);
  add_security(ks, p);
  ks.emplace_back("firstboot --disable");
  ks.emplace_back("skipx");
  add_storage(ks, p);
  ks.emplace_back("reboot");
  ks.emplace_back("");
  add_packages(ks, p);
  ks.emplace_back("");
  for (auto &line : post_section(p, post)) {
    ks.push_back(std::move(line));
  }
  std::string text = join(ks, "\n") + "\n";
  const auto problems = check_safety(text, p);
  if (!problems.empty()) {
    throw InputError("refusing to write an unsafe kickstart: " + join(problems, "; "));
  }
  return text;
}

} // namespace kvmr::kickstart
