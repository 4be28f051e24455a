// A kickstart for the new host, rendered from a Profile for its dialect.
// The storage part names disks only by /dev/disk/by-id and never puts a
// data disk in clearpart scope; render() runs check_safety() on its own
// output and throws instead of returning an unsafe kickstart.
#pragma once

#include "kickstart/profile.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace kvmr::kickstart {

// The restore payload installed by %post (restore.hpp); empty: none.
struct PostPayload {
  std::string restore_script; // /usr/local/sbin/kvm-rescue-restore
  std::string unit;           // /etc/systemd/system/kvm-rescue-restore.service
};

// Throws InputError when the profile is incomplete (no OS disk, an
// invalid hostname, a hash policy without a hash) or the result would not
// be safe (see safety.hpp).
std::string render(const Profile &p, const PostPayload &post);

// One kickstart argument value, quoted when it needs to be (pykickstart
// splits lines like a POSIX shell).
std::string ks_quote(std::string_view value);

// The swap LV's size for an OS disk of OS_DISK_BYTES: 1/32 of the disk,
// at least 2 GiB, at most 16 GiB; 0 when the size is unknown (0), so the
// kickstart says `--recommended`. Throws InputError when the disk cannot
// hold /boot, that swap and a 10 GiB root.
std::uint64_t swap_mib(std::uint64_t os_disk_bytes);

// A hostname the installer accepts: RFC 1123 labels, at most 253 bytes.
bool valid_hostname(std::string_view name);

} // namespace kvmr::kickstart
