// Shared by the kickstart tests: a complete profile like the story's host,
// and running a command with its output.
#pragma once

#include "kickstart/profile.hpp"
#include "unit/skip.hpp"

#include <string>
#include <vector>

namespace kvmr::kickstart::test {

Profile story_profile(Dialect d);
// The story's host with its images on the existing LV "vm_images" of VG
// "vg-data" over two disks (W456 and X789), resp. on md array "data"
// over the same two disks.
Profile lvm_profile(Dialect d);
Profile md_profile(Dialect d);

// What pykickstart does not check, read back from kickstart KS made for
// P: every pv.* of a new volgroup is a `part` on a disk, every logvol's
// --vgname is a volgroup, ignoredisk --only-use names exactly the OS disk
// and every disk of the data, and check_safety finds nothing. Empty: fine.
std::vector<std::string> structure_problems(const std::string &ks, const Profile &p);

struct Ran {
  int status = -1;
  std::string out;
};
// Runs CMD with /bin/sh, stdout and stderr together.
Ran sh(const std::string &cmd);

// The command that runs pykickstart's ksvalidator (KVMR_KSVALIDATOR, or
// `ksvalidator` on PATH); "" when there is none.
std::string ksvalidator();

} // namespace kvmr::kickstart::test
