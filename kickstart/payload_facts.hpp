// Reading what the kickstart would like to know from the payload the copy
// left on the target (the domain and snapshot XML), where the target is
// reachable at kickstart time: a directory target, or the prepared disk
// mounted somewhere. Without it the kickstart is still complete; the
// restore script orders and checks on the new host what it can.
#pragma once

#include "kickstart/firmware.hpp"
#include "rescue/plan/plan.hpp"

#include <string>

namespace kvmr::kickstart {

// The facts of PLAN's domain and snapshot XML items under TARGET_ROOT
// (the directory the plan's item `dest` paths are relative to). A file
// that is missing or unreadable is listed in `unreadable`; never throws
// for a file's content.
PayloadFacts read_payload_facts(const plan::RescuePlan &plan, const std::string &target_root);

// Where PLAN's target root can be read now, or "": a directory target's
// path, or, for a plan file inside a target (TARGET/kvm-rescue/plan.json,
// where `copy` leaves it), that target; only when its payload directory
// (<state_dir>/payload) is there.
std::string reachable_target_root(const plan::RescuePlan &plan, const std::string &plan_file = "");

} // namespace kvmr::kickstart
