#!/usr/bin/env python3
"""The boot-vms fixture rescued over SSH onto a second host and booted
there (issue 22: "a VM boots (TCG) when the boot fixture exists").

The second host is as in integration.remote_copy: a private libvirtd
(kvmr_libvirtd.py) with the test's sshd beside it (kvmr_sshd.py), a
machine-id of its own and a tmpfs at /var/lib/libvirt/images; kvm-rescue
runs in that network namespace. It is made as integration.boot_restore
makes its new host, before sshd starts (sshd's sessions see the mounts
there were then): a private /var/lib/kvm-rescue, the bridge br0 the
domains name, and no KVM (kvmr_bootvms.hide_kvm), so the VMs run under TCG.

plan --target ssh://... (the three boot VMs); copy --allow-emulation shows
the restore's dry run (it would define each VM; nothing is defined); then
`copy --restore --start --allow-emulation`: the restore runs on the second
host, defines the three domains there and starts the autostart VM
bootbios01 (its memory fits); its report there lists it running, the others
stay off until `virsh start` there. Each VM must print its serial line
("kvm-rescue-boot: NAME", boot_restore_test.boot_each) and is destroyed
right after. Nothing of the run is left on this machine: no sshfs mount or
process, no /run/kvm-rescue/remote-* or ssh-*, nothing made or changed
under /var/lib/kvm-rescue, no loop device; the source image is unchanged.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import boot_restore_test as br  # noqa: E402
import kvmr_bootvms as bv  # noqa: E402
import kvmr_copylib as cl  # noqa: E402
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_sshd as sshd  # noqa: E402
import kvmr_testlib as t  # noqa: E402
import remote_copy_test as rc  # noqa: E402

IMAGES = rc.IMAGES
MACHINE_ID = "5ec0dd0a11ce4e5a8d0c0ffee0000b00\n"


def second_host(lv, work):
    """LV made the second host: images on a tmpfs, its own machine-id and
    /var/lib/kvm-rescue (where the restore keeps its adapted XML), the
    bridges the domains name, no KVM. Before sshd starts: its sessions see
    the mounts there were then."""
    lv.run(["mount", "-t", "tmpfs", "-o", "size=2g,mode=0755", "kvmr-remote", IMAGES], check=True)
    mid = os.path.join(work, "machine-id")
    with open(mid, "w", encoding="ascii") as f:
        f.write(MACHINE_ID)
    lv.run(["mount", "--bind", mid, "/etc/machine-id"], check=True)
    lv.tmpfs("/var/lib/kvm-rescue")
    for name in bv.BRIDGES:
        lv.bridge(name)
    bv.hide_kvm(lv)


def tree(path):
    """{path: (size, mtime)} of everything under PATH on this machine."""
    out = {}
    for d, dirs, files in os.walk(path):
        for n in dirs + files:
            st = os.lstat(os.path.join(d, n))
            out[os.path.join(d, n)] = (st.st_size, st.st_mtime_ns)
    return out


def plan_and_copy(c, binary, img, s, lv, work):
    plan = os.path.join(work, "plan.json")
    argv = [binary, "plan", img, "--target", rc.url(s),
            *rc.ssh_args(s, s.host_key_fingerprint()), "-o", plan]
    for name in bv.VMS:
        argv += ["--vm", name]
    p = s.enter(argv, timeout=600)
    c.true("plan exit code 0 or 1", p.returncode in (0, 1), p.stdout[-2000:] + p.stderr[-2000:])
    if p.returncode not in (0, 1):
        return None
    p = s.enter([binary, "copy", "--plan", plan, "--allow-emulation"], timeout=600)
    if not cl.exit_code_is(c, "copy exit code", p, 0):
        return None
    c.true("the restore's dry run is shown, and it passed",
           f"The restore's dry run on {rc.url(s)} says:" in p.stdout, p.stdout[-2500:])
    for name in bv.VMS:
        c.true(f"the dry run would define {name}", f"{name}.xml" in p.stdout, p.stdout[-2500:])
    c.eq("nothing is defined there by the dry run",
         lv.virsh("list", "--all", "--name").stdout.split(), [])
    rc.no_sshfs_left(c, "after the copy")
    return plan


def restore_and_start(c, binary, plan, s, lv):
    p = s.enter([binary, "copy", "--plan", plan, "--restore", "--start", "--allow-emulation"],
                timeout=900)
    ok = cl.exit_code_is(c, "copy --restore --start exit code", p, 0)
    out = p.stdout + p.stderr
    with open(lv.outside(f"{IMAGES}/kvm-rescue/restore-report.txt"), encoding="utf-8",
              errors="replace") as f:
        report = f.read()
    names = lv.virsh("list", "--all", "--name").stdout.split()
    for name in bv.VMS:
        c.true(f"{name} is defined on the second host", name in names, str(names))
    for name, auto in bv.VMS.items():
        if auto:
            c.eq(f"{name} (autostart) was started by --start", bv.state(lv, name), "running")
            c.true(f"the restore's report there lists {name} running",
                   f"{name}: running" in report, report[-2000:])
        else:
            c.eq(f"{name} (no autostart) is left off", bv.state(lv, name), "shut off")
    rc.no_sshfs_left(c, "after the restore")
    if not ok:
        print(out[-3000:])
    return all(name in names for name in bv.VMS)


def main():
    t.require_root_and_loop()
    t.require_tools("qemu-system-x86_64", "sshfs", "ssh-keyscan", "fusermount3")
    lvd.require()
    sshd.require()
    binary = t.env_path("KVMR_BIN")
    img = t.fixture("boot-vms.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="rb.", dir=os.path.dirname(img))  # short: control socket
    try:
        with t.SystemState(work) as sys_state:
            before = t.sha256(img)
            mark = tree("/var/lib/kvm-rescue")
            with lvd.Libvirtd(work) as lv:
                second_host(lv, work)
                with sshd.Sshd(work, libvirtd=lv) as s:
                    plan = plan_and_copy(c, binary, img, s, lv, work)
                    if plan is not None and restore_and_start(c, binary, plan, s, lv):
                        br.boot_each(c, lv)
            rc.no_sshfs_left(c, "at the end")
            now = tree("/var/lib/kvm-rescue")
            c.eq("nothing under this machine's /var/lib/kvm-rescue was made or changed",
                 sorted(k for k in set(now) | set(mark) if now.get(k) != mark.get(k)), [])
            c.eq("the source image is unchanged", t.sha256(img), before)
            sys_state.check()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
