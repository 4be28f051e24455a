// kickstart::Profile: everything the kickstart for the new host says, as
// one plain value. Built from a rescue plan (profile_build.hpp) and the
// user's choices; rendered per dialect (render.hpp); checked for the one
// mistake that must never happen, a rescued-data disk in the installer's
// wiping scope (safety.hpp).
#pragma once

#include "kickstart/dialect.hpp"
#include "rescue/scan/logins.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::kickstart {

// One `network` line.
struct NetDevice {
  std::string device; // "br0", a NIC name on the new machine, or an old NIC's MAC
  std::vector<std::string> bridge_slaves; // new NIC names (bridges only)
  bool dhcp = true;
  std::string ip;      // static: "192.168.10.20"
  std::string netmask; // static: "255.255.255.0"
  std::string gateway;
  std::vector<std::string> nameservers;
  std::optional<int> mtu;
  bool onboot = true;
  bool activate = true;
};

enum class RootPolicy {
  keep_old, // the old host's root hash and keys (the default)
  locked,   // no password; SSH keys only
  hash,     // a crypt(3) hash given by the user
};
const char *to_string(RootPolicy p) noexcept;
RootPolicy parse_root_policy(const std::string &s); // throws InputError

// What the data filesystem sits on: a partition (or whole disk), an
// existing LVM logical volume, or an existing md array.
enum class DataKind { partition, lvm, md };

// The disk that holds the rescued data and how the new host mounts it.
struct DataDisk {
  std::string disk;      // whole disk, as ignoredisk names it: "disk/by-id/ata-..."
  std::string partition; // --onpart value: "disk/by-id/ata-...-part1" (partition kind only)
  std::string fs_uuid;   // the data filesystem's UUID (for the report and checks)
  std::string fstype = "xfs";
  std::string mountpoint = "/var/lib/libvirt/images";
  DataKind kind = DataKind::partition;
  std::string vg; // lvm: the existing VG ("vg-a", not dm-escaped)
  std::string lv; // lvm: the existing LV in it
  std::string md; // md: the array as `raid --device=` names it ("data", "md127")
  // lvm/md: every disk holding a PV or array member ("disk/by-id/..."),
  // sorted; disk is one of them. Empty for the partition kind.
  std::vector<std::string> member_disks;
};

// Every disk DATA is on: member_disks, or disk alone.
std::vector<std::string> disks_of(const DataDisk &data);
const char *to_string(DataKind k) noexcept;

struct Profile {
  Dialect dialect = Dialect::el7;
  std::string install_url;         // empty: `cdrom`
  std::string os_disk;             // "disk/by-id/ata-NEWSSD_123" (need not exist here)
  std::uint64_t os_disk_bytes = 0; // its size when known: swap is sized from it
  std::vector<DataDisk> data_disks;
  std::string vg_name = "kvmhost"; // differs from every VG on the source/data disks
  std::string hostname;
  std::vector<NetDevice> network;
  std::string timezone = "UTC";
  bool utc = true;
  std::string lang = "en_US.UTF-8";
  std::string keyboard = "us"; // vconsole keymap
  std::string x11_layout;      // e.g. "jp"; empty: like keyboard
  // The ways in (secret: see rescue/scan/logins.hpp). Root gets
  // `rootpw --iscrypted` with root_hash, else `rootpw --lock`; every key
  // and account is installed as the old host had it.
  RootPolicy root = RootPolicy::keep_old;
  std::string root_hash;                  // the old host's or a new one; "" locks root
  std::vector<std::string> root_keys;     // authorized_keys lines for root
  std::vector<scan::AdminAccount> admins; // `user` lines; their keys in %post
  std::vector<scan::SudoersFile> sudoers; // /etc/sudoers.d, checked by visudo in %post
  bool allow_no_login = false;            // render writes a kickstart nobody can log in to
  std::string selinux = "enforcing";
  bool uefi_guests = false; // a rescued VM boots with UEFI: OVMF is installed
  // Where the restore payload is on the new host (inside the data disk).
  std::string payload_dir = "/var/lib/libvirt/images/kvm-rescue/payload";
  std::vector<std::string> warnings; // for the person at the server
};

} // namespace kvmr::kickstart
