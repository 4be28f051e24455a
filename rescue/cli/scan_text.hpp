// `scan` for people: the old host's summary, a VM table that fits 80
// columns, then warnings.
#pragma once

#include "rescue/scan/inventory.hpp"

#include <string>
#include <vector>

namespace kvmr::cli {

struct ScanHeader {
  std::string backend; // "kernel mounts", "libguestfs appliance"
  std::string root;    // the old host's root volume
  std::vector<std::string> notes;
};

std::string render_scan(const ScanHeader &h, const scan::HostInventory &inv);

// One disk in the VM table: "vda 1.0G/12M q2" (virtual/allocated, the
// format and the chain depth when deeper than one).
std::string disk_cell(const scan::VmDisk &d);

} // namespace kvmr::cli
