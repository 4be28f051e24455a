#include "kickstart/profile.hpp"

#include "rescue/util/error.hpp"

namespace kvmr::kickstart {

const char *to_string(RootPolicy p) noexcept {
  return p == RootPolicy::hash ? "hash" : "locked";
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
