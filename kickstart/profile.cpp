#include "kickstart/profile.hpp"

#include "rescue/util/error.hpp"

namespace kvmr::kickstart {

const char *to_string(RootPolicy p) noexcept {
  switch (p) {
  case RootPolicy::hash: return "hash";
  case RootPolicy::locked: return "locked";
  case RootPolicy::keep_old: break;
  }
  return "keep-old";
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
  for (const RootPolicy p : {RootPolicy::keep_old, RootPolicy::locked, RootPolicy::hash}) {
    if (s == to_string(p)) {
      return p;
    }
  }
  throw InputError("unknown root password policy '" + s + "': use keep-old, hash or locked");
}

} // namespace kvmr::kickstart
