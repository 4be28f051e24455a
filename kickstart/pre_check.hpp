// The kickstart's %pre section: before anything is written, it stops the
// install (--erroronfail) unless each data volume the kickstart names
// (the --onpart partition, the existing LV, or the md array) carries the
// rescued filesystem's UUID and, on the volume that holds the payload,
// the manifest the copy left in its state directory
// (TARGET/kvm-rescue/manifest.json, rescue/plan/plan.hpp). The check
// mounts the volume read-only in a temporary directory and unmounts it;
// for LVM it activates only the data VG, for md it assembles arrays only
// when the named one is not there, and it puts back what it started.
// Every value from the profile is one shell word (shell_quote).
#pragma once

#include "kickstart/post.hpp"
#include "kickstart/profile.hpp"

#include <string>

namespace kvmr::kickstart {

struct PreCheckOptions {
  // Where the messages go besides the script's output (which anaconda logs
  // and shows when the script fails). Tests point it at a file.
  std::string console = "/dev/console";
};

// The %pre section's header and body (without %end). Throws InputError
// for a value a script line cannot carry (a line break or control char).
KsSection pre_section(const Profile &p, const PreCheckOptions &o = {});

// The body as a bash script (for running it outside the installer).
std::string pre_check_script(const Profile &p, const PreCheckOptions &o = {});

} // namespace kvmr::kickstart
