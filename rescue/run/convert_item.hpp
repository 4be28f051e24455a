// The copy of a converted image item (PlanItem::convert_from set, see
// plan/plan_convert.hpp): `qemu-img convert -O qcow2` reads the whole chain
// from the old host's read-only mounted tree into DEST.partial on the
// target, `qemu-img compare` checks the result against the chain, then the
// file is renamed to DEST. The chain is walked again at copy time, and
// every member is given to qemu-img by its path inside the mounted tree
// (a json: description of the chain), so a backing or extent name never
// leads qemu-img to the rescue system's own files.
#pragma once

#include "rescue/access/old_host.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/run/manifest.hpp"

#include <string>

namespace kvmr::run {

// Converts ITEM into the absolute path DEST on the target and fills M.
// Throws InputError when the old host cannot give qemu-img a local file
// (the libguestfs backend) or the chain changed since the plan, and
// CommandError-like InputErrors carrying qemu-img's message when it fails.
void convert_image(const plan::PlanItem &item, access::OldHost &host, const std::string &dest,
                   ManifestItem &m);

} // namespace kvmr::run
