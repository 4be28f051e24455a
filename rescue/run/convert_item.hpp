// The copy of a converted image item (PlanItem::convert_from set, see
// plan/plan_convert.hpp): `qemu-img convert -O qcow2` reads the whole chain
// from the old host's read-only mounted tree into DEST.partial on the
// target, `qemu-img compare` checks the result against the chain, then the
// file is renamed to DEST. The chain is walked again at copy time, and
// every member is given to qemu-img by its path inside the mounted tree
// (a json: description of the chain), so a backing or extent name never
// leads qemu-img to the rescue system's own files.
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/run/manifest.hpp"

#include <functional>
#include <string>

namespace kvmr::run {

// Where an old-host path is on this machine; "" when it is not a local
// file (access::OldHost::local_path: empty on libguestfs).
using LocalPath = std::function<std::string(const std::string &)>;

// Converts ITEM, whose chain is read from TREE and handed to qemu-img at
// LOCAL's paths, into the absolute path DEST on the target and fills M.
// Throws InputError when a member has no local path (the libguestfs
// backend), the chain changed since the plan and is no longer whole, or
// qemu-img fails (its message included).
void convert_image(const plan::PlanItem &item, io::SourceTree &tree, const LocalPath &local,
                   const std::string &dest, ManifestItem &m);

} // namespace kvmr::run
