#include "kickstart/restore.hpp"

#include "kickstart/shell_quote.hpp"

namespace kvmr::kickstart {
namespace {

const char *kHeader = R"SH(#!/bin/bash
# kvm-rescue first-boot restore, written by kvm-rescue. Defines on this host
# what the old host's libvirt had, from the payload on the rescued data
# disk. Safe to run again; marks itself done only when every step worked.
set -u
log=${KVMR_RESTORE_LOG:-/var/log/kvm-rescue-restore.log}
done_mark=${KVMR_RESTORE_DONE:-/var/lib/kvm-rescue/restore.done}
[ -e "$done_mark" ] && exit 0
exec >>"$log" 2>&1
echo "== kvm-rescue restore started $(date)"
failures=0
run() {
  echo "+ $*"
  "$@" || { echo "FAILED ($?): $*"; failures=$((failures + 1)); return 1; }
}
v() { virsh -c qemu:///system "$@"; }
for _ in $(seq 1 60); do
  v uri >/dev/null 2>&1 && break
  sleep 2
done
v uri >/dev/null 2>&1 || { echo "libvirt is not answering; giving up for this boot"; exit 1; }
is_active() { # KIND NAME
  v "$1-info" "$2" 2>/dev/null | grep -Eq '^(State|Active):[[:space:]]+(running|yes)'
}
)SH";

const char *kFooter = R"SH(
echo "== restorecon"
command -v restorecon >/dev/null && run restorecon -R /etc/libvirt /var/lib/libvirt
if [ "$failures" -eq 0 ]; then
  mkdir -p "$(dirname "$done_mark")" && touch "$done_mark"
  echo "== kvm-rescue restore finished: everything defined"
else
  echo "== kvm-rescue restore finished with $failures failures; it runs again at the next boot"
  exit 1
fi
)SH";

} // namespace

std::string render_restore_script(const RestoreSpec &s) {
  std::string o = kHeader;
  const auto q = [](const std::string &v) { return shell_quote(v); };
  o += "\necho \"== secrets\"\n";
  for (const auto &x : s.secrets) {
    o += "run v secret-define " + q(x.xml) + "\n";
    if (!x.value_file.empty()) {
      // libvirt 4.5's virsh takes the value only on the command line.
      o += "[ -r " + q(x.value_file) + " ] && run v secret-set-value --secret " + q(x.uuid) +
           " --base64 \"$(cat " + q(x.value_file) + ")\"\n";
    }
  }
  o += "\necho \"== storage pools\"\n";
  for (const auto &x : s.pools) {
    o += "run v pool-define " + q(x.xml) + "\n";
    o += "is_active pool " + q(x.name) + " || run v pool-start " + q(x.name) + "\n";
    if (x.autostart) {
      o += "run v pool-autostart " + q(x.name) + "\n";
    }
  }
  o += "\necho \"== networks\"\n";
  for (const auto &x : s.networks) {
    o += "run v net-define " + q(x.xml) + "\n";
    if (x.autostart) {
      o += "run v net-autostart " + q(x.name) + "\n";
      o += "is_active net " + q(x.name) + " || run v net-start " + q(x.name) + "\n";
    }
  }
  o += "\necho \"== UEFI variable stores\"\n";
  for (const auto &x : s.nvram) {
    o += "if [ ! -e " + q(x.to) + " ]; then run install -D -m 0600 " + q(x.from) + " " + q(x.to) +
         "; fi\n";
  }
  o += "\necho \"== domains\"\n";
  for (const auto &x : s.domains) {
    o += "run v define " + q(x.xml) + "\n";
    if (x.autostart) {
      o += "run v autostart " + q(x.name) + "\n";
    }
  }
  o += "\necho \"== snapshots (parents first)\"\n";
  for (const auto &x : s.snapshots) {
    o += "v snapshot-info " + q(x.domain) + " " + q(x.name) +
         " >/dev/null 2>&1 || run v snapshot-create " + q(x.domain) + " " + q(x.xml) +
         " --redefine\n";
  }
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
         "ExecStart=/usr/local/sbin/kvm-rescue-restore\n"
         "RemainAfterExit=yes\n\n"
         "[Install]\n"
         "WantedBy=multi-user.target\n";
}

} // namespace kvmr::kickstart
