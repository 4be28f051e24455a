#include "kickstart/restore.hpp"

#include "kickstart/restore_adapt.hpp"
#include "kickstart/restore_live.hpp"
#include "kickstart/restore_rename.hpp"
#include "kickstart/restore_where.hpp"
#include "kickstart/shell_quote.hpp"

namespace kvmr::kickstart {
namespace {

// EL7's bash 4.2 calls "${a[@]}" and "${!a[@]}" of an empty array an
// unbound variable under `set -u`: arrays that may be empty are only
// counted (${#a[@]}) and indexed.
const char *kHeader = R"SH(#!/bin/bash
# kvm-rescue first-boot restore, written by kvm-rescue. Defines on this host
# what the old host's libvirt had, from the payload on the rescued data
# disk. Safe to run again; marks itself done only when every step worked.
# Also runs by hand on an existing KVM host, whose own domains, networks,
# pools and secrets it never redefines; --dry-run lists what it would do
# (define, reuse, refuse, start) and changes nothing (no log, no done mark).
# --rename OLD NEW (two words, repeatable: a name may hold '=', spaces or
# quotes, so no one-word form is unambiguous) defines the rescued domain
# OLD as NEW, beside a host domain of OLD's name or UUID.
set -u
umask 077 # the log, the rewritten XML and the done mark are root's alone
)SH";

// After kHeader: where the script runs from (restore_where.hpp), then the
// paths and options.
const char *kOptions = R"SH(log=${KVMR_RESTORE_LOG:-/var/log/kvm-rescue-restore.log}
done_mark=${KVMR_RESTORE_DONE:-/var/lib/kvm-rescue/restore.done}
xml_dir=${KVMR_RESTORE_XML:-/var/lib/kvm-rescue/xml} # adapted copies of payload XML
state_dir=$(dirname -- "$done_mark")
report=${KVMR_RESTORE_REPORT:-$state_dir/restore-report.txt} # adapted, reused, refused, states
owned=$state_dir/restore.defined # "KIND UUID" of each object this script defined
root=${KVMR_RESTORE_ROOT:-} # prefix of the host paths checked (tests)
nvram_dir=${KVMR_RESTORE_NVRAM_DIR:-/var/lib/libvirt/qemu/nvram}
dry=0
allow_emu=0 # --allow-emulation: without KVM, define the domains as type qemu
start=0     # --start: start the autostart VMs when their memory fits
ren_old=() ren_new=() # --rename OLD NEW: the rescued domain OLD defined as NEW
usage() {
  cat <<KVMR_USAGE
usage: $0 [--dry-run] [--start] [--allow-emulation] [--rename OLD NEW]...
Defines on this host the VMs (and their secrets, pools, networks, UEFI variable
stores, snapshots, autostart flags) of the old host, from the payload the rescue
copied. What this host already has is never redefined: a domain whose name or
UUID it has is refused; a network or pool of the same name is reused when it is
the same (bridge, target path), else refused; a secret it has is compared, not
replaced; a MAC address in use here is a warning.
  --dry-run          list what would be defined, reused, refused and started;
                     change nothing
  --start            also start the VMs marked autostart that are not running,
                     none unless their memory together fits MemAvailable
                     (without it they are only marked autostart: libvirt starts
                     them at the host's next boot)
  --allow-emulation  on a host without KVM, define the domains for qemu's
                     emulation (much slower) instead of stopping
  --rename OLD NEW   define the rescued domain OLD as NEW (repeatable): OLD and
                     NEW are the two words after --rename, each quoted as the
                     shell needs (a name may hold spaces, '=' or quotes); its
                     UUID is kept unless this host has it (then a new one, for
                     its snapshots too); its UEFI variable store becomes
                     NEW_VARS.fd. NEW must be free here, not empty, without
                     '/' or a newline; a rename that cannot be done stops the
                     run before anything is defined (exit 2, the reason said)
Exit: 0 done; 1 a step failed, or stopped before defining (no KVM, libvirt not
answering); 2 usage (a --rename that cannot be done too), or not run from where
the disk must be; 3 something was refused or not started (see the REFUSED lines
and the report, $report).
KVMR_USAGE
}
while [ "$#" -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --allow-emulation) allow_emu=1 ;;
    --start) start=1 ;;
    --rename)
      if [ "$#" -lt 3 ]; then
        echo "$0: --rename takes two words: the rescued domain's name and its new name" >&2
        usage >&2
        exit 2
      fi
      ren_old+=("$2") ren_new+=("$3")
      shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$dry" = 1 ]; then
  echo "== kvm-rescue restore, dry run: nothing is changed"
  [ -e "$done_mark" ] && echo "(already marked done: $done_mark; a real run would do nothing)"
else
  [ -e "$done_mark" ] && exit 0
  : >>"$log" && chmod 0600 "$log" # also when an older run made it readable
  exec 9>&2 # refusals also go to the caller's stderr (restore_live.sh)
  exec >>"$log" 2>&1
  echo "== kvm-rescue restore started $(date)"
fi
failures=0
refusals=0 # refused (this host has it) or not started (memory): exit 3
run() {
  if [ "$dry" = 1 ]; then
    echo "would run: $*"
    return 0
  fi
  echo "+ $*"
  "$@" || { echo "FAILED ($?): $*"; failures=$((failures + 1)); return 1; }
}
v() { virsh -c qemu:///system "$@"; }
for _ in $(seq 1 60); do
  v uri >/dev/null 2>&1 && break
  [ "$dry" = 1 ] && break
  sleep 2
done
if ! v uri >/dev/null 2>&1; then
  [ "$dry" = 1 ] || { echo "libvirt is not answering; giving up for this boot"; exit 1; }
  echo "(libvirt is not answering: everything is listed as not yet defined)"
fi
is_active() { # KIND NAME
  v "$1-info" "$2" 2>/dev/null | grep -Eq '^(State|Active):[[:space:]]+(running|yes)'
}
# nvram_check FILE: says so in the log when the variable store FILE does
# not have the size of this host's OVMF_VARS.fd: a store made by another
# firmware build (EL7's 2 MiB OVMF, a 4 MiB edk2 build) does not fit it.
nvram_check() {
  local have want
  rn_store "$1" # a renamed domain's store: where it went
  set -- "$rn_to"
  [ -e "$1" ] && [ -e "$root$fw_vars" ] || return 0
  have=$(stat -c %s "$1") want=$(stat -c %s "$root$fw_vars")
  [ "$have" = "$want" ] && return 0
  echo "WARNING: $1 holds $have bytes, this host's $fw_vars $want: the old UEFI variable store may not fit this firmware; if the VM does not start, move $1 aside and libvirt makes a new one from the template (its boot entries are lost; the guest's fallback boot loader usually finds it again)" >&2
  return 1
}
# set_secret UUID FILE: gives the secret UUID the base64 value in FILE.
# The value never reaches the log or a dry-run line: by file where this
# virsh has secret-set-value --file; EL7's virsh 4.5 takes it only as an
# argument, which is then visible in the process list while it runs.
set_secret() {
  local uuid=$1 file=$2
  if [ ! -r "$file" ]; then
    echo "FAILED: the value of secret $uuid is not readable at $file"
    failures=$((failures + 1))
    return 1
  fi
  if [ "$dry" = 1 ]; then
    echo "would run: v secret-set-value --secret $uuid (the value from $file, not shown)"
    return 0
  fi
  echo "+ v secret-set-value --secret $uuid (the value from $file, not shown)"
  if v help secret-set-value 2>/dev/null | grep -q -- '--file'; then
    v secret-set-value --secret "$uuid" --file "$file" && return 0
  else
    v secret-set-value --secret "$uuid" --base64 "$(cat -- "$file")" && return 0
  fi
  echo "FAILED: secret-set-value for secret $uuid"
  failures=$((failures + 1))
  return 1
}
# nvram_install FROM TO: installs the UEFI variable store FROM as TO,
# which must name a file right in $nvram_dir (TO comes from the old XML),
# or where a --rename moved it (rn_store).
nvram_install() {
  local from=$1 to=$2 name
  if lv_nvram_refused "$to"; then
    echo "not installed: the UEFI variable store $to (its domain was refused)"
    return 1
  fi
  rn_store "$to"
  to=$rn_to name=${rn_to##*/}
  case "$name" in "" | . | ..) name=/ ;; esac
  if [ "$to" != "$nvram_dir/$name" ] || [ -L "$to" ]; then
    echo "FAILED: the UEFI variable store $to is not a file in $nvram_dir: not installed there"
    failures=$((failures + 1))
    return 1
  fi
  [ -e "$to" ] || run install -D -m 0600 "$from" "$to"
}
)SH";

// Stops before anything is defined when the domains want KVM this host
// lacks (unless --allow-emulation): see adapt_preflight. Then reads what
// this host already has, renames the domains --rename names (or stops
// when one cannot be: restore_rename.sh) and refuses the domains it has
// (restore_live.sh).
const char *kPreflight = R"SH(adapt_init
if ! adapt_preflight; then
  [ "$dry" = 1 ] && echo "(a real run stops here and defines nothing)"
  exit 1
fi
echo "== what this host already has"
live_init || { echo "FAILED: no temporary directory"; exit 1; }
if ! live_renames; then
  [ "$dry" = 1 ] && echo "(a real run stops here and defines nothing)"
  exit 2
fi
live_check_domains
)SH";

// Defines each domain that was not refused from the file adapt_xml gives
// (an adapted copy when this host needs one), autostart as before, then
// says what this host's objects mean for it (live_domain_notes).
const char *kDomains = R"SH(for ((i = 0; i < ${#dom_xml[@]}; i++)); do
  if [ -n "${dom_ref[$i]}" ]; then
    echo "not defined: domain ${dom_name[$i]} (refused above)"
    continue
  fi
  x=$(adapt_xml "domain ${dom_name[$i]}" "${dom_xml[$i]}") || x=${dom_xml[$i]}
  run v define "$x" && lv_own domain "$(lv_dom_uuid "$i")"
  [ "${dom_auto[$i]}" = 1 ] && run v autostart "${dom_name[$i]}"
  live_domain_notes "$i"
done
)SH";

// Redefines snap_* in passes: libvirt refuses a snapshot whose parent it
// does not know yet, so a snapshot whose parent was not known when the
// script was written (order_snapshots kept it in the plan's order) is
// tried again after the others; it fails for good only when a pass
// defines nothing.
const char *kSnapshots = R"SH(snap_ok=() snap_def=()
pending=${#snap_xml[@]}
for ((i = 0; i < ${#snap_xml[@]}; i++)); do
  if lv_refused_domain "${snap_dom[$i]}"; then
    echo "not redefined: snapshot ${snap_name[$i]} of ${snap_dom[$i]} (the domain was refused)"
    snap_ok[$i]=1 pending=$((pending - 1))
    continue
  fi
  snap_def[$i]=$(adapt_xml "snapshot ${snap_name[$i]} of ${snap_dom[$i]}" "${snap_xml[$i]}") ||
    snap_def[$i]=${snap_xml[$i]}
done
while [ "$pending" -gt 0 ]; do
  before=$pending
  for ((i = 0; i < ${#snap_xml[@]}; i++)); do
    [ -n "${snap_ok[$i]:-}" ] && continue
    if v snapshot-info "${snap_dom[$i]}" "${snap_name[$i]}" >/dev/null 2>&1; then
      snap_ok[$i]=1 pending=$((pending - 1))
      continue
    fi
    x=${snap_def[$i]}
    if [ "$dry" = 1 ]; then
      echo "would run: v snapshot-create ${snap_dom[$i]} $x --redefine"
      snap_ok[$i]=1 pending=$((pending - 1))
      continue
    fi
    echo "+ v snapshot-create ${snap_dom[$i]} $x --redefine"
    if v snapshot-create "${snap_dom[$i]}" "$x" --redefine; then
      snap_ok[$i]=1 pending=$((pending - 1))
    fi
  done
  if [ "$pending" -eq "$before" ]; then
    echo "FAILED: $pending snapshots could not be redefined (see above)"
    failures=$((failures + pending))
    break
  fi
done
)SH";

// After restorecon: the autostart VMs started (--start) or named, each
// rescued VM's state in the report, the exit code.
const char *kFooter = R"SH(
echo "== restorecon"
command -v restorecon >/dev/null && run restorecon -R /etc/libvirt /var/lib/libvirt
echo "== autostart VMs"
live_start
live_report
if [ "$dry" = 1 ]; then
  echo "== dry run done: nothing was changed"
  [ "$refusals" -eq 0 ] || exit 3
  exit 0
fi
if [ "$failures" -eq 0 ] && [ "$refusals" -eq 0 ]; then
  mkdir -p "$(dirname "$done_mark")" && touch "$done_mark"
  echo "== kvm-rescue restore finished: everything defined"
elif [ "$failures" -eq 0 ]; then
  lv_tell "== kvm-rescue restore finished; $refusals refused or not started (see $report); not marked done: it can run again"
  exit 3
else
  echo "== kvm-rescue restore finished with $failures failures; it runs again at the next boot"
  exit 1
fi
)SH";

// The firmware hint table (old path -> this dialect's path, used where
// the new host has the file) and the UEFI package and VARS file named in
// the log.
std::string fw_arrays(const RestoreSpec &s) {
  std::string from = "fw_hint_from=(";
  std::string to = "fw_hint_to=(";
  for (const auto &m : s.firmware) {
    from += " " + shell_quote(m.from);
    to += " " + shell_quote(m.to);
  }
  return from + " )\n" + to + " )\nfw_package=" + shell_quote(ovmf_package(s.dialect)) +
         "\nfw_vars=" + shell_quote(std::string(ovmf_dir(s.dialect)) + "/OVMF_VARS.fd") + "\n";
}

// The domains and snapshots as arrays: the adaptation checks them all
// before anything is defined (adapt_preflight).
std::string object_arrays(const RestoreSpec &s) {
  const auto q = [](const std::string &v) { return shell_quote(v); };
  std::string name = "dom_name=(";
  std::string xml = "dom_xml=(";
  std::string autostart = "dom_auto=(";
  for (const auto &x : s.domains) {
    name += " " + q(x.name);
    xml += " " + q(x.xml);
    autostart += x.autostart ? " 1" : " 0";
  }
  std::string sdom = "snap_dom=(";
  std::string sname = "snap_name=(";
  std::string sxml = "snap_xml=(";
  for (const auto &x : order_snapshots(s.snapshots)) {
    sdom += " " + q(x.domain);
    sname += " " + q(x.name);
    sxml += " " + q(x.xml);
  }
  return name + " )\n" + xml + " )\n" + autostart + " )\n" + sdom + " )\n" + sname + " )\n" + sxml +
         " )\n";
}

} // namespace

std::vector<RestoreSnapshot> order_snapshots(std::vector<RestoreSnapshot> snaps) {
  std::vector<RestoreSnapshot> out;
  std::vector<bool> placed(snaps.size(), false);
  const auto is_placed = [&](const std::string &domain, const std::string &name) -> bool {
    for (std::size_t i = 0; i < snaps.size(); ++i) {
      if (snaps[i].domain == domain && snaps[i].name == name) {
        return placed[i];
      }
    }
    return true; // not in the list: nothing to wait for
  };
  for (bool progress = true; progress && out.size() < snaps.size();) {
    progress = false;
    for (std::size_t i = 0; i < snaps.size(); ++i) {
      if (!placed[i] && (snaps[i].parent.empty() || is_placed(snaps[i].domain, snaps[i].parent))) {
        placed[i] = true;
        out.push_back(snaps[i]);
        progress = true;
      }
    }
  }
  for (std::size_t i = 0; i < snaps.size(); ++i) { // cycles: as given
    if (!placed[i]) {
      out.push_back(snaps[i]);
    }
  }
  return out;
}

std::string render_restore_script(const RestoreSpec &s) {
  std::string o = kHeader;
  o += render_where_check(s);
  o += kOptions;
  o += restore_adapt_sh();
  o += restore_live_sh();
  o += restore_rename_sh();
  o += fw_arrays(s);
  o += object_arrays(s);
  o += kPreflight;
  const auto q = [](const std::string &v) { return shell_quote(v); };
  const auto flag = [](bool b) { return std::string(b ? " 1\n" : " 0\n"); };
  o += "\necho \"== secrets\"\n";
  for (const auto &x : s.secrets) {
    o += "restore_secret " + q(x.uuid) + " " + q(x.xml) + " " + q(x.value_file) + "\n";
  }
  o += "\necho \"== storage pools\"\n";
  for (const auto &x : s.pools) {
    o += "restore_pool " + q(x.name) + " " + q(x.xml) + flag(x.autostart);
  }
  o += "\necho \"== networks\"\n";
  for (const auto &x : s.networks) {
    o += "restore_net " + q(x.name) + " " + q(x.xml) + flag(x.autostart);
  }
  o += "\necho \"== UEFI variable stores\"\n";
  for (const auto &x : s.nvram) {
    o += "nvram_install " + q(x.from) + " " + q(x.to) + " && nvram_check " + q(x.to) + "\n";
  }
  o += "\necho \"== domains\"\n";
  o += kDomains;
  o += "\necho \"== snapshots (parents first)\"\n";
  o += kSnapshots;
  o += kFooter;
  return o;
}

std::string render_restore_unit(const RestoreSpec &s) {
  std::string after = s.dialect == Dialect::el9 ? "virtqemud.socket virtnetworkd.socket "
                                                  "virtstoraged.socket virtsecretd.socket"
                                                : "libvirtd.service";
  return "[Unit]\n"
         "Description=kvm-rescue: define the rescued VMs with libvirt (first boot)\n"
         "Wants=" +
         after + "\nAfter=" + after +
         " network-online.target local-fs.target\n"
         "RequiresMountsFor=" +
         s.data_mount +
         "\n"
         "ConditionPathExists=!/var/lib/kvm-rescue/restore.done\n\n"
         "[Service]\n"
         "Type=oneshot\n"
         "UMask=0077\n"
         "ExecStart=/usr/local/sbin/kvm-rescue-restore\n"
         "RemainAfterExit=yes\n\n"
         "[Install]\n"
         "WantedBy=multi-user.target\n";
}

} // namespace kvmr::kickstart
