// kickstart::Profile and the restore spec from a rescue plan (the answer
// file): the old host's hostname, bridges, locale and time zone come from
// the plan's host profile, the new host's choices from its kickstart
// section, and command-line overrides win over both.
#pragma once

#include "kickstart/profile.hpp"
#include "kickstart/restore.hpp"
#include "rescue/plan/plan.hpp"

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
  std::optional<std::string> hostname;
  std::map<std::string, std::string> nic_map; // old NIC -> new NIC
  std::optional<std::string> root_password;   // locked, hash
  std::optional<std::string> root_password_hash;
  std::optional<std::string> ssh_key;
  std::optional<std::string> install_url;
};

// "/dev/disk/by-id/X", "disk/by-id/X" or "X" -> "disk/by-id/X"; other
// /dev paths are kept without "/dev/" (the kernel name, which can change).
std::string by_id_name(const std::string &name);

// Throws InputError when something the kickstart needs is missing (the
// OS disk, the data disk of a directory or image target) or the OS disk
// is a source or the data disk.
Profile build_profile(const plan::RescuePlan &plan, const Overrides &o);

// What the first-boot script defines, from the plan's items (the payload
// under the target's kvm-rescue/payload, as the new host sees it).
RestoreSpec build_restore_spec(const plan::RescuePlan &plan, Dialect d);

} // namespace kvmr::kickstart
