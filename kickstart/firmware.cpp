// UEFI firmware paths and machine types per dialect (see firmware.hpp).
//
// Sources, checked while writing this:
// - EL7 `OVMF` (OVMF-20180508, CentOS 7): /usr/share/OVMF/OVMF_CODE.secboot.fd,
//   OVMF_VARS.fd, OVMF_VARS.secboot.fd (no plain OVMF_CODE.fd; hosts that
//   used kraxel's edk2.git-ovmf-x64 repository have
//   /usr/share/edk2.git/ovmf-x64/OVMF_{CODE,VARS}-pure-efi.fd).
// - EL9 `edk2-ovmf` (edk2.spec of RHEL 9, 20230524): the images are in
//   /usr/share/edk2/ovmf/ (OVMF_CODE.fd, OVMF_CODE.secboot.fd, OVMF_VARS.fd,
//   OVMF_VARS.secboot.fd) and only OVMF_CODE.secboot.fd, OVMF_VARS.fd,
//   OVMF_VARS.secboot.fd are kept as compat links in /usr/share/OVMF. EL8's
//   edk2-ovmf uses the same /usr/share/edk2/ovmf layout. The rewrite names
//   the real files, so it does not depend on the compat links.
// - Machine types: RHEL 9's qemu-kvm keeps no machine type older than
//   pc-i440fx-rhel7.6.0 / pc-q35-rhel7.6.0 (D. Berrangé on qemu-devel: "In
//   RHEL-9 for example, the oldest machine is pc-i440fx-rhel7.6.0").
//   RHEL 8's qemu-kvm keeps the RHEL 7 types for migration from RHEL 7:
//   q35 from pc-q35-rhel7.3.0 on (`/usr/libexec/qemu-kvm -machine help` of
//   RHEL 8.2, quoted in OpenStack nova-specs, wallaby,
//   libvirt-default-machine-type: pc-q35-rhel8.2.0 ... pc-q35-rhel7.3.0);
//   i440fx from pc-i440fx-rhel7.0.0 on, not confirmed from a listing here.
//   Neither has upstream-numbered types (pc-i440fx-2.11) or the RHEL 6 ones.
#include "kickstart/firmware.hpp"

#include <fmt/format.h>

#include <charconv>

namespace kvmr::kickstart {
namespace {

struct RhelMachine {
  bool known = false; // "pc-i440fx-rhelX.Y.Z" or "pc-q35-rhelX.Y.Z"
  bool q35 = false;
  int major = 0;
  int minor = 0;
};

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

RhelMachine parse_rhel_machine(std::string_view m) {
  RhelMachine r;
  std::string_view rest;
  if (starts_with(m, "pc-i440fx-rhel")) {
    rest = m.substr(14);
  } else if (starts_with(m, "pc-q35-rhel")) {
    r.q35 = true;
    rest = m.substr(11);
  } else {
    return r;
  }
  const char *end = rest.data() + rest.size();
  auto [p, ec] = std::from_chars(rest.data(), end, r.major);
  if (ec != std::errc() || p == end || *p != '.') {
    return r;
  }
  auto [p2, ec2] = std::from_chars(p + 1, end, r.minor);
  r.known = ec2 == std::errc() && p2 != p + 1;
  return r;
}

} // namespace

std::vector<FirmwareMove> firmware_moves(Dialect d) {
  if (d == Dialect::el7) {
    return {};
  }
  const std::string to = ovmf_dir(d);
  return {
      {"/usr/share/OVMF/OVMF_CODE.secboot.fd", to + "/OVMF_CODE.secboot.fd"},
      {"/usr/share/OVMF/OVMF_CODE.fd", to + "/OVMF_CODE.fd"},
      {"/usr/share/OVMF/OVMF_VARS.secboot.fd", to + "/OVMF_VARS.secboot.fd"},
      {"/usr/share/OVMF/OVMF_VARS.fd", to + "/OVMF_VARS.fd"},
      {"/usr/share/edk2.git/ovmf-x64/OVMF_CODE-pure-efi.fd", to + "/OVMF_CODE.fd"},
      {"/usr/share/edk2.git/ovmf-x64/OVMF_VARS-pure-efi.fd", to + "/OVMF_VARS.fd"},
  };
}

std::string machine_type_problem(std::string_view machine, Dialect d) {
  if (d == Dialect::el7 || machine.empty() || machine == "pc" || machine == "q35") {
    return "";
  }
  const std::string target = d == Dialect::el8 ? "EL8" : "EL9";
  const RhelMachine m = parse_rhel_machine(machine);
  if (!m.known) {
    return fmt::format("machine type {} is not one of the pc-i440fx-rhel*/pc-q35-rhel* types "
                       "{}'s qemu-kvm offers",
                       machine, target);
  }
  const int oldest_minor = d == Dialect::el9 ? 6 : (m.q35 ? 3 : 0);
  if (m.major < 7 || (m.major == 7 && m.minor < oldest_minor)) {
    return fmt::format("machine type {} is older than any {} machine type of {}'s qemu-kvm "
                       "(the oldest is {}-rhel7.{}.0)",
                       machine, m.q35 ? "q35" : "i440fx", target, m.q35 ? "pc-q35" : "pc-i440fx",
                       oldest_minor);
  }
  return "";
}

std::vector<std::string> guest_warnings(const std::vector<GuestFacts> &guests, Dialect d) {
  std::vector<std::string> out;
  const auto moves = firmware_moves(d);
  for (const auto &g : guests) {
    if (const std::string why = machine_type_problem(g.machine, d); !why.empty()) {
      out.push_back(fmt::format("VM {}: {}; the restore script gives it the new host's own "
                                "type of the same family (i440fx or q35) from `virsh "
                                "capabilities`, and says so in its report (the guest then "
                                "sees slightly different hardware)",
                                g.name, why));
    }
    for (const auto &m : moves) {
      if (g.loader == m.from || g.nvram_template == m.from) {
        out.push_back(fmt::format("VM {}: its UEFI firmware {} is {} on {}; the restore "
                                  "script rewrites the path when {} is installed",
                                  g.name, m.from, m.to, to_string(d), ovmf_package(d)));
        break;
      }
    }
  }
  return out;
}

} // namespace kvmr::kickstart
