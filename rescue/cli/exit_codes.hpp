// Exit codes of every kvm-rescue subcommand (documented in docs/cli.md).
#pragma once

namespace kvmr::cli {

enum ExitCode : int {
  kExitOk = 0,      // done; what was found (damage included) is in the output
  kExitPartial = 1, // some of the named disks/files could not be read at all
  kExitUsage = 2,   // bad command line
  kExitFailure = 3, // the operation failed (message on stderr)
};

} // namespace kvmr::cli
