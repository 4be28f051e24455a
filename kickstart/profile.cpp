#include "kickstart/profile.hpp"

#include "rescue/util/error.hpp"

namespace kvmr::kickstart {

const char *to_string(RootPolicy p) noexcept {
  return p == RootPolicy::hash ? "hash" : "locked";
}

std::vector<std::string> disks_of(const DataDisk &data) {
  if (data.member_disks.empty()) {
    return {data.disk};
  }
  return data.member_disks;
}

const char *to_string(DataKind k) noexcept {
  switch (k) {
  case DataKind::lvm: return "lvm";
  case DataKind::md: return "md";
  case DataKind::partition: break;
  }
  return "partition";
}

RootPolicy parse_root_policy(const std::string &s) {
  if (s == "locked") {
    return RootPolicy::locked;
  }
  if (s == "hash") {
    return RootPolicy::hash;
  }
  if (s == "keep-old") {
    throw InputError("root password policy 'keep-old': kvm-rescue never copies the old host's "
                     "password hash on its own; read it from the old /etc/shadow yourself and "
                     "give it with --root-password=hash --root-password-hash HASH");
  }
  throw InputError("unknown root password policy '" + s + "': use locked or hash");
}

} // namespace kvmr::kickstart
