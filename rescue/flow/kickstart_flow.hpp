// The kickstart step that `kvm-rescue kickstart` and the wizard share: the
// profile from the plan and the user's overrides, the rendered ks.cfg with
// its restore payload, written to a file or to the OEMDRV volume of the
// disk `copy` prepared, and the next steps for the person at the server.
#pragma once

#include "kickstart/profile.hpp"
#include "kickstart/profile_build.hpp"
#include "rescue/plan/plan.hpp"

#include <string>

namespace kvmr::flow {

struct KickstartOutput {
  kickstart::Profile profile; // its warnings are the user's to read
  std::string text;           // ks.cfg, checked by kickstart's safety rules
};

// Unless O says otherwise, the NICs of this machine are matched by MAC
// (the rescue medium usually runs on the new host), the OS disk's size is
// measured when it is attached here (swap is sized from it), and the
// payload's XML is read where the target is reachable (a directory, or
// the target PLAN_FILE sits in) for snapshot order and machine-type and
// firmware warnings.
KickstartOutput make_kickstart(const plan::RescuePlan &plan, const kickstart::Overrides &o,
                               const std::string &plan_file = "");

// Writes KS as ks.cfg into the vfat volume labelled OEMDRV on PATH (a disk
// or image prepared by `copy`), refusing a disk of the old host. Returns
// the partition written, e.g. "/dev/sdc partition 2". Throws InputError.
std::string write_to_oemdrv(const std::string &path, const plan::RescuePlan &plan,
                            const std::string &ks);

// What to do at the server, at most 80 columns wide. ON_OEMDRV: ks.cfg
// went to an OEMDRV volume.
std::string next_steps(const kickstart::Profile &p, bool on_oemdrv);

} // namespace kvmr::flow
