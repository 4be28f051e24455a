// `scan --inspect-guests`: the OS inside each VM's disks, through one
// read-only libguestfs appliance over the images as the kernel path shows
// them. Fills VmInfo::guest for every VM; never throws.
#pragma once

#include "rescue/access/old_host.hpp"
#include "rescue/scan/inventory.hpp"

namespace kvmr::cli {

void inspect_guests(access::OldHost &host, scan::HostInventory &inv);

} // namespace kvmr::cli
