// The optional no-modify check of the dead host's mounted volumes
// (OpenOptions::check): each volume's read-only device is given to
// check_filesystem and the verdict is kept in Volume::check. It only
// reports; nothing here repairs or writes.
#pragma once

#include "rescue/util/command.hpp"
#include "rescue/volume/source_host.hpp"

#include <map>
#include <string>
#include <vector>

namespace kvmr::volume {

// Checks every volume of VOLUMES that DEVICES (Volume::name -> the
// read-only block device it is mounted from) names, and sets its
// Volume::check; the others are left unset. Never throws for a failed
// check: that is a verdict.
void check_volumes(std::vector<Volume> &volumes, const std::map<std::string, std::string> &devices,
                   CommandRunner &runner);

} // namespace kvmr::volume
