// The restore on the network target: the script the copy left beside the
// payload (restore_on_disk.hpp), run on that host over the SSH link. Its
// log, adapted XML, report and done mark stay beside the copy's report
// (DIR/kvm-rescue/), so a host that takes in several rescues keeps each
// one's apart. `copy --restore` runs it at the end of the copy; the
// wizard runs the dry run there, shows it, and runs it for real once the
// user confirms (over a link of its own).
#pragma once

#include "rescue/plan/plan.hpp"
#include "rescue/remote/ssh_link.hpp"

#include <string>
#include <vector>

namespace kvmr::flow {

struct RestoreRequest {
  bool real = false;                // else --dry-run
  bool copy_complete = true;        // false: only the dry run runs, and it counts as failed
  std::vector<std::string> options; // --start, --allow-emulation, ...
};

struct RestoreOutcome {
  std::string output; // what the script printed (and, after a real run, its report)
  int exit_code = -1; // the script's; 255 when it could not run
};

// The restore options the plan's choices stand for (the wizard's Remote
// restore screen, a replay): --start, --allow-emulation, the renames.
std::vector<std::string> restore_options(const plan::RestoreChoices &c);

// Runs P's restore script on LINK's host.
RestoreOutcome run_restore_over(const plan::RescuePlan &p, remote::SshLink &link,
                                const RestoreRequest &req);

// The same over a link of its own to P's target (PASSWORD for a password
// login). Throws remote::RemoteError when the host cannot be reached.
RestoreOutcome restore_on_remote(const plan::RescuePlan &p, const RestoreRequest &req,
                                 const std::string &password = {});

} // namespace kvmr::flow
