// kickstart::Profile and the restore spec from a rescue plan (the answer
// file): the old host's hostname, bridges, locale and time zone come from
// the plan's host profile, the new host's choices from its kickstart
// section, and command-line overrides win over both.
#pragma once

#include "kickstart/firmware.hpp"
#include "kickstart/nic_match.hpp"
#include "kickstart/profile.hpp"
#include "kickstart/restore.hpp"
#include "rescue/plan/plan.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace kvmr::kickstart {

// What the command line may override (unset: the plan's value).
struct Overrides {
  std::optional<std::string> dialect;
  std::optional<std::string> os_disk;
  std::optional<std::string> data_disk; // the whole data disk, by-id
  std::optional<std::string> data_partition;
  // The data is on an existing LVM LV or md array (a directory target
  // there): kind, vg/lv or md and member_disks of this DataDisk are used
  // (data_disk, when unset, is the first member disk).
  std::optional<DataDisk> data_stack;
  std::optional<std::string> hostname;
  std::map<std::string, std::string> nic_map; // old NIC -> new NIC (wins over MAC matching)
  // The NICs of the machine kvm-rescue runs on (the new host), for MAC
  // matching (read_local_nics()); unset: not known.
  std::optional<std::vector<LocalNic>> local_nics;
  // The OS disk's size when it can be measured here; unset: swap is
  // `--recommended`.
  std::optional<std::uint64_t> os_disk_bytes;
  std::optional<std::string> root_password; // locked, hash
  std::optional<std::string> root_password_hash;
  std::optional<std::string> ssh_key;
  bool allow_no_login = false; // write a kickstart that leaves no way in
  std::optional<std::string> install_url;
};

// "/dev/disk/by-id/X", "disk/by-id/X" or "X" -> "disk/by-id/X"; other
// /dev paths are kept without "/dev/" (the kernel name, which can change).
std::string by_id_name(const std::string &name);

// Throws InputError when something the kickstart needs is missing (the
// OS disk, the data disk of a directory or image target) or the OS disk
// is a source or the data disk (or one of the data's PV/member disks).
// The OS VG (vg_name) differs from the source disks' VGs and the data VG.
//
// NICs: an old NIC named in nic_map (the plan's, then --nic) gets that
// name; otherwise one whose MAC a local NIC has gets the local NIC's
// name; otherwise a plain NIC is named by its old MAC (anaconda's
// `network --device=` takes a MAC) and a bridge port keeps its old name,
// both with a warning. FACTS (payload_facts.hpp), when read, add warnings
// about machine types and firmware.
Profile build_profile(const plan::RescuePlan &plan, const Overrides &o,
                      const PayloadFacts &facts = {});

// What the first-boot script defines, from the plan's items (the payload
// under the target's kvm-rescue/payload, as the new host sees it): the
// firmware moves of dialect D, and the snapshots' parents from FACTS.
RestoreSpec build_restore_spec(const plan::RescuePlan &plan, Dialect d,
                               const PayloadFacts &facts = {});

} // namespace kvmr::kickstart
