// Disks by identity: what a plan records about each source and target
// disk, and how a later run (another boot, other device names) finds the
// same disk again or names what differs.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/plan/plan.hpp"

#include <string>
#include <vector>

namespace kvmr::plan {

DiskIdentity identify_disk(const disk::Disk &d);

// Every difference between PLANNED and NOW in plain words ("size is 8 GiB,
// the plan has 10 GiB", "filesystem UUID 1234... is gone"); empty: same.
// Paths and by-id names may differ without counting as a difference.
std::vector<std::string> identity_differences(const DiskIdentity &planned, const DiskIdentity &now);

struct Located {
  std::string path; // where the planned disk is now; "" if not found
  std::vector<std::string>
      differences; // why the best candidate (or the planned path) does not match
};

// Finds PLANNED among CANDIDATES (probed disks): the one at the planned
// path if it matches, else the one a planned by-id name points to, else
// any candidate with the same identity.
Located locate_disk(const DiskIdentity &planned, const std::vector<disk::Disk> &candidates);

} // namespace kvmr::plan
