#!/usr/bin/env python3
"""The kickstart's %pre data-volume check (kickstart/pre_check.hpp), run by
bash against loop devices, since anaconda cannot run here.

KIND (the first argument) is the data volume's kind:
  partition: an XFS filesystem with a known UUID and kvm-rescue/manifest.json
    on a loop device over a GPT partition (no partition scanning here: the
    loop device starts at the partition's offset). Right UUID and payload:
    exit 0, named by a relative device name as the kickstart gives it
    (relative to /dev). Another UUID (the wrong disk), the right UUID
    without the payload, a missing device: exit 1 with the message on the
    output and on the console (a file here), the image's bytes unchanged
    ("nothing was written"), no mount and no temporary directory left.
  lvm: the same filesystem on an LV of its own VG, inactive: the check
    activates that VG, passes, and deactivates it; another UUID fails.
    Needs device-mapper (skipped where the kernel has none).
  md: the filesystem on an md RAID1 array that is stopped: the check
    assembles it, passes, stops it again. Needs the md driver.
"""
import glob
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

UUID = "6c0f7a52-2d1e-4b55-9a0e-21c1a7e0d001"
OTHER = "0b0e3c6a-1111-4222-8333-444455556666"
MIB = 1 << 20
SIZE = 320 * MIB  # mkfs.xfs wants 300 MiB


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            h.update(block)
    return h.hexdigest()


def leftovers():
    return set(glob.glob("/tmp/kvm-rescue-pre.*"))


class Runner:
    def __init__(self, work):
        self.work = work
        self.tool = t.env_path("KVMR_PRE_CHECK_SCRIPT")
        self.console = os.path.join(work, "console")

    def run(self, *args):
        """The script for ARGS, run by bash: (exit code, output, console)."""
        open(self.console, "w").close()
        script = t.run([self.tool, *args, self.console], check_rc=0).stdout
        before = leftovers()
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
        out = r.stdout + r.stderr
        print(f"--- {' '.join(args)}: exit {r.returncode}\n{out}", flush=True)
        with open(self.console, encoding="utf-8") as f:
            console = f.read()
        assert leftovers() == before, f"temporary directories left: {leftovers() - before}"
        assert not [m for m in t.mounts() if m.startswith("/tmp/kvm-rescue-pre.")], t.mounts()
        return r.returncode, out, console


def make_fs(dev, mnt, payload):
    t.run(["mkfs.xfs", "-q", "-f", "-m", f"uuid={UUID}", dev], check_rc=0)
    if payload:
        t.run(["mount", dev, mnt], check_rc=0)
        try:
            os.makedirs(os.path.join(mnt, "kvm-rescue"))
            with open(os.path.join(mnt, "kvm-rescue", "manifest.json"), "w") as f:
                f.write('{"kind": "kvm-rescue.manifest", "schema_version": 1}\n')
        finally:
            t.run(["umount", mnt], check_rc=0)


def expect_stop(result, *words):
    rc, out, console = result
    assert rc == 1, f"exit {rc}, not 1"
    for w in (*words, "Stop: nothing was written"):
        assert w in out, f"{w!r} not in the output"
        assert w in console, f"{w!r} not on the console"


def partition_case(work, steps, r):
    img = os.path.join(work, "data.img")
    with open(img, "wb") as f:
        f.truncate(SIZE + 2 * MIB)
    t.run(["sfdisk", "-q", img], input=f"label: gpt\nstart=2048, size={SIZE // 512}\n",
          check_rc=0)
    loop = t.run(["losetup", "-f", "--show", "-o", str(MIB), "--sizelimit", str(SIZE), img],
                 check_rc=0).stdout.strip()
    steps.append(lambda: t.run(["losetup", "-d", loop], check_rc=0))
    mnt = os.path.join(work, "mnt")
    os.makedirs(mnt)
    make_fs(loop, mnt, payload=True)
    name = os.path.basename(loop)  # "loopN": relative to /dev, as --onpart names it
    sha = digest(img)
    rc, out, _ = r.run("partition", name, UUID)
    assert rc == 0, f"the right disk was refused (exit {rc})"
    assert f"{loop} carries the rescued filesystem {UUID} and the kvm-rescue payload" in out
    expect_stop(r.run("partition", loop, OTHER),
                f"{loop} carries filesystem UUID {UUID}, not the rescued data {OTHER}: wrong disk?")
    expect_stop(r.run("partition", "disk/by-id/ata-NO_SUCH_DISK-part1", UUID),
                "/dev/disk/by-id/ata-NO_SUCH_DISK-part1 does not exist on this machine")
    assert digest(img) == sha, "the check changed the data disk"
    make_fs(loop, mnt, payload=False)
    expect_stop(r.run("partition", loop, UUID),
                f"{loop} carries the rescued filesystem UUID {UUID} but no kvm-rescue payload")


LVM_CONF = ("devices{obtain_device_list_from_udev=0 use_devicesfile=0} "
            "backup{backup=0 archive=0}")


def lvm_case(work, steps, r):
    if not t.device_mapper_registered():
        t.skip("the LVM case needs device-mapper, which this kernel lacks (FACTS.md); "
               "the partition case runs here")
    img = os.path.join(work, "pv.img")
    with open(img, "wb") as f:
        f.truncate(SIZE + 64 * MIB)
    loop = t.run(["losetup", "-f", "--show", img], check_rc=0).stdout.strip()
    steps.append(lambda: t.run(["losetup", "-d", loop], check_rc=0))
    vg = "kvmrpre-" + os.path.basename(work)[-6:].replace("_", "x")
    lvm = ["lvm"]
    t.run([*lvm, "vgcreate", "--config", LVM_CONF, vg, loop], check_rc=0)
    steps.append(lambda: t.run([*lvm, "vgremove", "-f", "--config", LVM_CONF, vg]))
    t.run([*lvm, "lvcreate", "--config", LVM_CONF, "-n", "images", "-L", f"{SIZE // MIB}m", vg],
          check_rc=0)
    steps.append(lambda: t.run([*lvm, "vgchange", "-an", vg]))
    mnt = os.path.join(work, "mnt")
    os.makedirs(mnt)
    make_fs(f"/dev/{vg}/images", mnt, payload=True)
    t.run([*lvm, "vgchange", "-an", vg], check_rc=0)
    rc, out, _ = r.run("lvm", vg, "images", UUID)
    assert rc == 0, f"the right LV was refused (exit {rc})"
    assert not os.path.exists(f"/dev/{vg}/images"), "the check left the VG active"
    expect_stop(r.run("lvm", vg, "images", OTHER), f"carries filesystem UUID {UUID}")
    assert not os.path.exists(f"/dev/{vg}/images"), "the failed check left the VG active"


def md_case(work, steps, r):
    if not os.path.exists("/proc/mdstat"):
        t.skip("the md case needs the kernel's md driver, which this kernel lacks; "
               "the partition case runs here")
    t.require_tools("mdadm")
    loops = []
    for i in range(2):
        img = os.path.join(work, f"m{i}.img")
        with open(img, "wb") as f:
            f.truncate(SIZE + 16 * MIB)
        loop = t.run(["losetup", "-f", "--show", img], check_rc=0).stdout.strip()
        steps.append(lambda loop=loop: t.run(["losetup", "-d", loop], check_rc=0))
        loops.append(loop)
    name = "kvmrpre"
    t.run(["mdadm", "--create", f"/dev/md/{name}", "--run", "--level=1", "--raid-devices=2",
           "--metadata=1.2", f"--name={name}", "--homehost=any", *loops], check_rc=0)
    steps.append(lambda: t.run(["mdadm", "--stop", f"/dev/md/{name}"]))
    mnt = os.path.join(work, "mnt")
    os.makedirs(mnt)
    make_fs(f"/dev/md/{name}", mnt, payload=True)
    t.run(["mdadm", "--stop", f"/dev/md/{name}"], check_rc=0)
    rc, _, _ = r.run("md", name, UUID)
    assert rc == 0, f"the right array was refused (exit {rc})"
    assert not os.path.exists(f"/dev/md/{name}"), "the check left the array running"
    expect_stop(r.run("md", name, OTHER), f"carries filesystem UUID {UUID}")


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "partition"
    t.require_root_and_loop()
    t.require_tools("bash", "sfdisk", "mkfs.xfs", "losetup", "blkid", "mount")
    base = os.path.dirname(t.env_path("KVMR_FIXTURES"))
    work = tempfile.mkdtemp(prefix="ks-pre-", dir=base)
    with t.SystemState(work), t.cleanup_steps() as steps:
        steps.append(lambda: t.run(["rm", "-rf", work]))
        {"partition": partition_case, "lvm": lvm_case, "md": md_case}[kind](
            work, steps, Runner(work))
    print(f"OK: kickstart %pre check ({kind})")


if __name__ == "__main__":
    main()
