// Where the restore script runs from. `kvm-rescue copy` leaves the script
// on the rescued data disk beside its payload (<state_dir>/kvm-rescue-restore)
// so that it can be run by hand on another KVM host. Its payload and the
// disks its domain XML names are absolute paths under the plan's data
// mount (/var/lib/libvirt/images by default); run from a disk mounted
// elsewhere it must not define domains whose disks are not there, nor
// rewrite their paths behind the user's back: it stops and says how to
// mount the disk.
#pragma once

#include "kickstart/restore.hpp"

#include <string>

namespace kvmr::kickstart {

// The script's file name on the data disk, in the state directory beside
// the payload directory.
inline constexpr const char *kRestoreScriptName = "kvm-rescue-restore";

// A shell block for the restore script (bash 4.2 under `set -u`; coreutils
// only), to run before anything reads the payload or writes the log. When
// the script has a `payload` directory and a `manifest.json` beside it (the
// copy on the data disk) and that directory is not the parent of
// S.payload_dir (compared by
// device and inode: a symlinked mount point is fine), it says on stderr
// where it is, where it must be, the exact commands (mkdir -p, mount
// --bind, the script's path there with --dry-run), whether that directory
// holds files of this host, and exits 2 having changed nothing. Without
// them beside it (the kickstart's /usr/local/sbin copy) it does nothing.
std::string render_where_check(const RestoreSpec &s);

} // namespace kvmr::kickstart
