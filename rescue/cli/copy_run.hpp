// The front-end part `kvm-rescue copy` and `kvm-rescue rescue` share: the
// copy flags, and flow::run_copy with the progress bar on stderr, the
// target's notes on stderr and the report printed on stdout.
#pragma once

#include "rescue/access/old_host.hpp"
#include "rescue/cli/cancel_watch.hpp"
#include "rescue/disk/model.hpp"
#include "rescue/plan/plan.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kvmr::cli {

struct CopyFlags {
  std::string confirm_wipe;
  std::string hash = "xxh3"; // xxh3 or sha256
  int retries = 1;
  std::uint64_t max_rate = 0; // bytes/s; 0: no limit
  bool json = false;
  // A network target: run the restore there after the copy (else only
  // its --dry-run), and let it define VMs as emulated (no KVM there).
  bool restore = false;
  bool allow_emulation = false;
  bool start = false; // with restore: start the autostart VMs now
  // --rename OLD NEW: the restore defines the rescued domain OLD as NEW.
  std::vector<std::pair<std::string, std::string>> rename;
  // The plan file the run was started from (copy --plan); empty for
  // rescue, whose plan exists only on the target.
  std::string plan_file;
  // A network target planned without an identity: the login's password.
  std::string ssh_password;
};

// Target, execution, report (flow::run_copy). Returns the exit code.
// Throws flow::Refused when the target or the sources refuse.
int copy_plan(const plan::RescuePlan &p, const std::vector<disk::Disk> &sources,
              access::OldHost &host, const CopyFlags &flags, CancelWatch &watch);

} // namespace kvmr::cli
