// Disks converted to qcow2 for the new host: EL's qemu-kvm opens vmdk,
// vhdx, vpc, parallels, qed, vdi and qcow images read-only only, so a VM
// whose disk chain holds one would not start on the rebuilt host. Unless
// the user keeps formats (`--keep-format`), such a disk becomes one plan
// item: the whole chain collapsed by `qemu-img convert -O qcow2` into one
// qcow2 file beside the old top image, and the domain XML pointed at it.
#pragma once

#include "rescue/plan/plan.hpp"
#include "rescue/scan/image_chain.hpp"
#include "rescue/scan/inventory.hpp"

#include <string>

namespace kvmr::plan {

// The formats of CHAIN's members that EL opens read-only only, joined
// ("vmdk", "qcow2 over vpc" is "vpc"); empty when none is, or when a
// member is missing or unreadable (such a chain is copied as it is, if
// at all).
std::string read_only_formats(const scan::ImageChain &chain);

// The new-host path of a converted copy of the image at NEW_PATH: its
// extension replaced by .qcow2 ("disk.vmdk" -> "disk.qcow2"), with "-2",
// "-3", ... added while TAKEN(path) says the name is used.
template <class Taken> std::string converted_path(const std::string &new_path, Taken taken);

// The item copying D's whole CHAIN as one qcow2 (kind image, format qcow2,
// convert_from the top member's format) at DEST and NEW_PATH (from
// converted_path); size: the top file's, as for any image item;
// allocated: that of every file of the chain (what the converted copy
// holds at most, zeros aside).
PlanItem converted_item(const std::string &vm, const scan::VmDisk &d, const scan::ImageChain &chain,
                        const std::string &dest, const std::string &new_path);

} // namespace kvmr::plan

// Template definition.
namespace kvmr::plan {

template <class Taken> std::string converted_path(const std::string &new_path, Taken taken) {
  const std::size_t slash = new_path.rfind('/');
  const std::size_t dot = new_path.rfind('.');
  const std::string stem =
      dot != std::string::npos && (slash == std::string::npos || dot > slash + 1)
          ? new_path.substr(0, dot)
          : new_path;
  std::string candidate = stem + ".qcow2";
  for (int n = 2; taken(candidate); ++n) {
    candidate = stem + "-" + std::to_string(n) + ".qcow2";
  }
  return candidate;
}

} // namespace kvmr::plan
