// The probe result for people: one block per disk, 80 columns wide.
#pragma once

#include "rescue/disk/model.hpp"

#include <string>
#include <vector>

namespace kvmr::text {

std::string render_probe(const std::vector<disk::Disk> &disks);

} // namespace kvmr::text
