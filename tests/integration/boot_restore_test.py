#!/usr/bin/env python3
"""The boot-vms fixture rescued and restored on a real libvirt, every VM
seen booting (issue 21 part 3).

plan (the three boot VMs) and copy onto an XFS loop target; then, in a
private libvirtd (kvmr_libvirtd.py: Debian 12's libvirt 9, no KVM needed),
the data disk bound at /var/lib/libvirt/images and a bridge br0 inside the
test's network namespace, the restore script the copy left on the data disk
runs with --allow-emulation. Each domain must be defined (adapted to this
host: type qemu where there is no KVM), `virsh start` must start it, and its
serial log (/var/log/libvirt/qemu/NAME-serial0.log, named by the old XML)
must show "kvm-rescue-boot: NAME" within BOOT_SECONDS; it is destroyed right
after (bootuefi01 powers itself off). Then libvirt is started again as at a
host boot: the autostart VM (bootbios01) must come up by itself and print
its line again, the others must stay off. Nothing is left running.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_bootvms as bv  # noqa: E402

BOOT_SECONDS = 120


def rescue(c, binary, img, target, work):
    plan, copy = bv.rescue(binary, img, target, work)
    c.true("plan exit code 0 or 1", plan.returncode in (0, 1), plan.stdout[-2000:] +
           plan.stderr[-2000:])
    if copy is None or not cl.exit_code_is(c, "copy exit code", copy, 0):
        return False
    c.true("the restore script is on the data disk",
           os.path.isfile(os.path.join(target, "kvm-rescue", "kvm-rescue-restore")))
    return True


def restore(c, lv):
    p = bv.restore(lv)
    c.eq("restore --allow-emulation exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
        print(lv.run(["tail", "-n", "60", "/var/log/kvm-rescue-restore.log"]).stdout)
    names = lv.virsh("list", "--all", "--name").stdout.split()
    for name in bv.VMS:
        c.true(f"{name} is defined", name in names, str(names))
    return all(name in names for name in bv.VMS)


def boot_each(c, lv):
    """virsh start, the serial line, virsh destroy: one VM at a time."""
    for name in bv.VMS:
        if bv.state(lv, name) != "running":
            p = lv.virsh("start", name)
            c.eq(f"{name}: virsh start exit code", p.returncode, 0)
            if p.returncode != 0:
                print(p.stderr, lv.log_tail("libvirtd"))
                continue
        seen = bv.wait_lines(lv, [name], BOOT_SECONDS)
        c.true(f"{name}: '{bv.line_of(name)}' on its serial console", name in seen,
               repr(bv.log_text(lv, name)[-600:]))
        if name in seen:
            print(f"{name}: its line {seen[name]:.1f} s after start")
        if bv.state(lv, name) == "running":
            lv.virsh("destroy", name)


def boot_autostart(c, lv):
    """libvirt started again as at a host boot: the autostart VM comes up."""
    for name in bv.VMS:
        lv.run(["rm", "-f", bv.serial_log(name)])
    lv.reboot()
    auto = [n for n, a in bv.VMS.items() if a]
    seen = bv.wait_lines(lv, auto, BOOT_SECONDS)
    for name in auto:
        c.true(f"{name} (autostart): up by itself with its line after libvirt starts",
               name in seen, repr(bv.log_text(lv, name)[-600:]) + lv.log_tail("libvirtd"))
    for name, a in bv.VMS.items():
        if not a:
            c.eq(f"{name} (no autostart): stays off", bv.state(lv, name), "shut off")


def main():
    t.require_root_and_loop()
    t.require_tools("qemu-system-x86_64", "mkfs.xfs")
    lvd.require()
    binary = t.env_path("KVMR_BIN")
    img = t.fixture("boot-vms.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="boot-restore-test.", dir=os.path.dirname(img))
    try:
        with t.SystemState(work) as sys_state:
            with t.LoopFs(work, "data", size=1 << 30) as fs:
                if rescue(c, binary, img, fs.mnt, work):
                    with lvd.Libvirtd(os.path.join(work, "libvirt")) as lv:
                        bv.new_host(lv, fs.mnt)
                        if restore(c, lv):
                            boot_each(c, lv)
                            boot_autostart(c, lv)
            sys_state.check()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
