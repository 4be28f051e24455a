#!/usr/bin/env python3
"""kvm-rescue kickstart --plan with a directory target on an LVM logical
volume: a VG "kvmr-data" (a '-' in the name, so device-mapper doubles it)
over two loop devices, an LV "vm-images" with XFS mounted as the target.
Loop devices have no /dev/disk/by-id name, so the kickstart is refused,
and the refusal shows the LV was resolved down to its PVs: it names a PV's
loop device and says the kickstart must keep every disk of the volume.

Needs device-mapper (an LV cannot be activated without it): where the
kernel has none (such as the build machine), it says SKIP and exits 77.
The rest (VG/LV names, PV disks, the rendered volgroup/logvol lines, the
safety refusals) is covered at unit level with fabricated sysfs facts
(test_flow, test_kickstart).
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

OS_DISK = "ata-NEW_SSD_S123"
VG = "kvmr-data"
LV = "vm-images"


def require_device_mapper():
    registered = t.device_mapper_registered()
    # `dmsetup version` asks the driver (DM_VERSION ioctl); the node alone
    # may exist without it.
    driver = t.run(["dmsetup", "version"]).returncode == 0
    if not registered or not driver:
        t.skip("no device-mapper on this machine (/proc/devices has no device-mapper "
               "or `dmsetup version` finds no driver): an LV cannot be activated here")


def lvm(*args, devices):
    # Only our loop devices, whatever the machine's devices file says.
    return t.run(["lvm", *args, "--devices", ",".join(devices)], check_rc=0)


def main():
    t.require_root_and_loop()
    t.require_tools("dmsetup", "lvm", "mkfs.xfs", "losetup")
    require_device_mapper()
    binary = t.env_path("KVMR_BIN")
    fixtures = t.env_path("KVMR_FIXTURES")
    story = os.path.join(fixtures, "story.img")
    c = t.Checker()
    workdir = tempfile.mkdtemp(prefix="kickstart-lvm-", dir=os.path.dirname(fixtures))
    before = t.sha256(story)
    with t.SystemState(workdir):
        loops = []
        mnt = os.path.join(workdir, "target")
        os.makedirs(mnt)
        mounted = False
        vg_made = False
        try:
            for n in (1, 2):
                img = os.path.join(workdir, f"pv{n}.img")
                with open(img, "wb") as f:
                    f.truncate(700 << 20)
                loops.append(t.run(["losetup", "-f", "--show", img], check_rc=0).stdout.strip())
            lvm("pvcreate", "-q", *loops, devices=loops)
            lvm("vgcreate", "-q", VG, *loops, devices=loops)
            vg_made = True
            lvm("lvcreate", "-q", "-y", "-n", LV, "-l", "100%FREE", VG, devices=loops)
            dev = f"/dev/mapper/{VG.replace('-', '--')}-{LV.replace('-', '--')}"
            t.run(["mkfs.xfs", "-q", dev], check_rc=0)
            t.run(["mount", dev, mnt], check_rc=0)
            mounted = True
            plan = os.path.join(workdir, "plan.json")
            p = t.run([binary, "plan", story, "--target", mnt, "-o", plan])
            c.eq("plan exit code (every VM ready, the LV fits)", p.returncode, 0)
            c.true("plan written", os.path.exists(plan), p.stderr)
            out = os.path.join(workdir, "ks.cfg")
            p = t.run([binary, "kickstart", "--plan", plan, "--os-disk", OS_DISK, "-o", out])
            c.eq("refused: the PVs' loop devices have no by-id name (exit code)",
                 p.returncode, 3)
            c.true("the refusal names a PV's loop device",
                   any(loop in p.stderr for loop in loops), p.stderr)
            c.true("the refusal says every disk of the volume is kept",
                   "every disk of the volume" in p.stderr, p.stderr)
            c.true("nothing written when refused", not os.path.exists(out))
        finally:
            if mounted:
                t.run(["umount", mnt], check_rc=0)
            if vg_made:
                lvm("vgchange", "-q", "-an", VG, devices=loops)
                lvm("vgremove", "-q", "-f", VG, devices=loops)
            for loop in loops:
                t.run(["losetup", "-d", loop], check_rc=0)
    c.eq("story.img unchanged", t.sha256(story), before)
    subprocess.run(["rm", "-rf", workdir], check=False)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
