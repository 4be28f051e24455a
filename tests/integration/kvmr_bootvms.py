"""The boot-vms fixture (make-fixture --boot-vms, scripts/lib/fixture-bootvms.sh)
rescued and restored on a real libvirt: shared by integration.boot_restore
and scripts/bench-restore.

    man = rescue(binary, img, target, work)   # plan --vm ... + copy
    new_host(lv, target)                      # bridges, data disk bound
    restore(lv)                               # the data disk's restore script
    seen = wait_lines(lv, VMS, seconds)       # name -> seconds to its line
"""
import os
import time

import kvmr_testlib as t

# name -> autostart on the old host
VMS = {"bootbios01": True, "bootuefi01": False, "bootovl01": False}
DATA_DISK = "/var/lib/libvirt/images"  # where the new host mounts the data disk
RESTORE = f"{DATA_DISK}/kvm-rescue/kvm-rescue-restore"
# A bridge the domains name, made inside the test's network namespace (on
# the old host, the bridge the admin made).
BRIDGES = ["br0"]


def line_of(name):
    return f"kvm-rescue-boot: {name}"


def serial_log(name):
    """NAME's serial log, as its domain XML names it (inside the namespace)."""
    return f"/var/log/libvirt/qemu/{name}-serial0.log"


def rescue(binary, img, target, work):
    """plan (the boot VMs only, EL7 dialect) and copy onto TARGET; returns
    (plan process, copy process): the caller checks their exit codes."""
    plan = os.path.join(work, "plan.json")
    argv = [binary, "plan", img, "--target", target, "-o", plan]
    for name in VMS:
        argv += ["--vm", name]
    p = t.run(argv)
    if p.returncode not in (0, 1):
        return p, None
    return p, t.run([binary, "copy", "--plan", plan])


def new_host(lv, target):
    """LV made the new host: its bridges, the data disk TARGET at DATA_DISK,
    a private /var/lib/kvm-rescue (the restore's done mark and XML), and no
    KVM (hide_kvm): the VMs run under TCG."""
    for br in BRIDGES:
        lv.bridge(br)
    lv.bind(target, DATA_DISK)
    lv.tmpfs("/var/lib/kvm-rescue")
    hide_kvm(lv)


# /dev inside the namespace again, without kvm: a tmpfs holding copies of
# this machine's device nodes, its mounts under /dev (pts, shm...) bound
# in, moved over /dev. A /dev/kvm that exists but cannot be used would make
# libvirt probe QEMU again at every lookup (35 s per define here).
HIDE_KVM = r"""set -e
d=/run/libvirt/.kvmr-dev
mkdir "$d"
mount -t tmpfs -o mode=0755,nosuid kvmr-dev "$d"
for f in /dev/* /dev/.[!.]*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  n=${f#/dev/}
  [ "$n" = kvm ] && continue
  if mountpoint -q "$f"; then
    mkdir "$d/$n"
    mount --rbind "$f" "$d/$n"
  else
    cp -a "$f" "$d/"
  fi
done
mount --move "$d" /dev
rmdir "$d"
rm -rf /var/cache/libvirt/qemu
"""


def hide_kvm(lv):
    """A host without KVM, whatever this machine has: inside the namespace,
    /dev without kvm (HIDE_KVM) and libvirt's QEMU capabilities probed again
    (cache emptied, libvirtd restarted), so `virsh capabilities` offers
    type qemu only and the restore must adapt (--allow-emulation). Where
    /dev/kvm exists here it may not even work for the host's CPU model:
    measured on a nested VM, QEMU with -cpu host aborts ("failed to set MSR
    0x10a") while qemu64 runs."""
    if not os.path.exists("/dev/kvm"):
        return
    lv.run(["sh", "-c", HIDE_KVM], check=True)
    # libvirt's own mount namespace per QEMU cannot move that /dev's pts
    # ("Unable to move /dev/pts mount ...: Invalid argument"): QEMU runs
    # in the test's namespace as it is (the test's private qemu.conf).
    with open(os.path.join(lv.etc, "qemu.conf"), "a", encoding="utf-8") as f:
        f.write("namespaces = []\n")
    lv.reboot()
    caps = lv.virsh("capabilities", check=True).stdout
    if "<domain type='kvm'" in caps:
        raise AssertionError("libvirt still offers KVM after /dev/kvm was hidden")


def restore(lv, *extra):
    """The restore script the copy left on the data disk, run by bash inside
    LV's namespaces with the data disk at DATA_DISK (the caller binds it)."""
    return lv.run(["bash", RESTORE, "--allow-emulation", *extra], timeout=600)


def log_text(lv, name):
    try:
        with open(lv.outside(serial_log(name)), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_lines(lv, names, seconds, since=None):
    """Waits (at most SECONDS) until each of NAMES has printed its line in its
    serial log; returns {name: seconds from SINCE (default: now) to when
    the line was seen}, without the names that never printed it."""
    since = time.monotonic() if since is None else since
    end = time.monotonic() + seconds
    seen = {}
    while True:
        for name in names:
            if name not in seen and line_of(name) in log_text(lv, name):
                seen[name] = time.monotonic() - since
        if len(seen) == len(names) or time.monotonic() > end:
            return seen
        time.sleep(0.1)


def state(lv, name):
    return lv.virsh("domstate", name, timeout=60).stdout.strip()
