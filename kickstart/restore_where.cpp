#include "kickstart/restore_where.hpp"

#include "kickstart/shell_quote.hpp"

namespace kvmr::kickstart {
namespace {

// Variables are kw_*: the rest of the script does not use that prefix.
// The copy on the data disk is told by what `copy` leaves beside it: the
// payload directory and the manifest.
// Directories are compared by `stat -L -c %d:%i`; df names the filesystem
// holding the copy (--output: coreutils 8.21 and later, EL7 has 8.22).
const char *kCheck = R"SH(kw_here=$(cd -- "$(dirname -- "$0")" 2>/dev/null && pwd -P) || kw_here=
if [ -n "$kw_here" ] && [ -d "$kw_here/payload" ] && [ -f "$kw_here/manifest.json" ] &&
  [ "$(stat -L -c %d:%i -- "$kw_here")" != "$(stat -L -c %d:%i -- "$kw_want" 2>/dev/null || echo none)" ]; then
  kw_root=$(dirname -- "$kw_here")
  kw_src=$(df --output=source -- "$kw_root" 2>/dev/null | tail -n 1)
  kw_src=${kw_src%"${kw_src##*[! ]}"}
  kw_top=$(df --output=target -- "$kw_root" 2>/dev/null | tail -n 1)
  kw_top=${kw_top%"${kw_top##*[! ]}"}
  kw_n=$(ls -A -- "$kw_mount" 2>/dev/null | wc -l)
  {
    echo "kvm-rescue-restore: not run; nothing was changed."
    echo "This copy of the script and its payload are at $kw_here${kw_src:+ (on $kw_src)},"
    echo "but the rescued domains name their disks under $kw_mount, where the old host"
    echo "had them, and the script reads its payload from $kw_want."
    echo "Make the rescued disk appear there, then run the script from there, --dry-run first:"
    echo
    [ -d "$kw_mount" ] || printf '  mkdir -p %q\n' "$kw_mount"
    printf '  mount --bind %q %q\n' "$kw_root" "$kw_mount"
    printf '  %q --dry-run\n' "$kw_want/${0##*/}"
    echo
    if [ "$kw_n" -gt 0 ]; then
      echo "$kw_mount holds $kw_n entries of this host: the mount hides them while the disk is"
      echo "there, and this host's VMs whose disks are there would not start again; move them"
      echo "elsewhere first (and their paths in those VMs' XML), or use another host."
    fi
    if [ -n "$kw_src" ] && [ "$kw_top" = "$kw_root" ]; then
      echo "To keep the disk there across reboots, mount $kw_src at $kw_mount in /etc/fstab"
      echo "instead of the bind mount."
    else
      echo "To keep it there across reboots, put the bind mount in /etc/fstab."
    fi
  } >&2
  exit 2
fi
)SH";

std::string parent_of(const std::string &path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

std::string render_where_check(const RestoreSpec &s) {
  return "# Run from the rescued data disk (its payload and manifest beside it), it must be\n"
         "# where the domain XML names the disks (kickstart/restore_where.hpp).\n"
         "kw_want=" +
         shell_quote(parent_of(s.payload_dir)) + "\nkw_mount=" + shell_quote(s.data_mount) + "\n" +
         kCheck;
}

} // namespace kvmr::kickstart
