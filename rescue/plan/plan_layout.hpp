// Where each old-host file goes on the target and on the new host (the
// layout described in plan.hpp), as pure functions of the PlanLayout.
#pragma once

#include "rescue/plan/plan.hpp"

#include <string>

namespace kvmr::plan {

struct Placement {
  std::string dest;     // relative to the target root
  std::string new_path; // absolute, on the new host
  bool relocated = false;
};

// An image file at old-host PATH: under images_dir it keeps its relative
// path; anywhere else it goes to relocated/<PATH>.
Placement place_image(const PlanLayout &l, const std::string &path);

// A directory (a dir pool's target) placed the way its images are.
Placement place_dir(const PlanLayout &l, const std::string &dir);

// An LV ("vg/lv") as lv/<vg>-<lv>.img; dashes inside the names doubled
// the way device-mapper names them, so no two LVs share a file.
Placement place_lv(const PlanLayout &l, const std::string &lv_name);

// Where VM's UEFI variable store at old-host PATH goes on the new host:
// PATH when it is a file right in libvirt's NVRAM directory with a safe
// name, else libvirt's default for VM there (/var/lib/libvirt/qemu/nvram/
// VM_VARS.fd): the restore installs variable stores in that directory only.
std::string place_nvram(const std::string &vm, const std::string &path);

// A payload file: state_dir/payload/<PATH>.
std::string payload_dest(const PlanLayout &l, const std::string &path);

} // namespace kvmr::plan
