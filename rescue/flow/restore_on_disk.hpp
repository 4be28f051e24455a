// The restore script on the rescued data disk: at the end of a copy,
// `kvm-rescue copy` writes beside the payload the same script the
// kickstart installs for the first boot (kickstart::build_restore_spec,
// render_restore_script), so that it can also be run by hand on another,
// healthy KVM host with the disk mounted at the plan's data mount
// (kickstart/restore_where.hpp: run from anywhere else it stops and says
// how to mount the disk).
#pragma once

#include "rescue/plan/plan.hpp"

#include <string>

namespace kvmr::flow {

// <TARGET_ROOT>/<state_dir>/kvm-rescue-restore, where the copy writes it.
std::string restore_script_file(const plan::RescuePlan &p, const std::string &target_root);

// The same file as the new host sees it: under the plan's data mount.
std::string restore_script_on_host(const plan::RescuePlan &p);

// Writes P's restore script to restore_script_file() (0700, atomically:
// run/atomic_text.hpp), the snapshots' parents read from the payload
// under TARGET_ROOT. Throws SysError naming the file.
void write_restore_script(const plan::RescuePlan &p, const std::string &target_root);

// The report's next step for another KVM host.
std::string restore_script_step(const plan::RescuePlan &p);

} // namespace kvmr::flow
