#!/usr/bin/env python3
"""mount-ro / umount on the fixture variants: the assembled read-only tree
holds the expected files with the expected contents, /var/lib/libvirt/images
on a second VG is found through the old fstab, what cannot be mounted is
reported with the kernel's reason, the source never changes, and nothing
stays attached: after umount, after Ctrl-C, and after a SIGKILL followed by
the next run's clean-up.
"""
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

MiB = 1 << 20


def mount_ro(binary, sources, target, env=None, rc=0):
    p = t.run([binary, "mount-ro", "--json", *sources, target], env=env)
    if p.returncode != rc:
        raise AssertionError(f"mount-ro exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return json.loads(p.stdout) if rc == 0 else p


def umount(binary, target):
    t.run([binary, "umount", target], check_rc=0)


def fstab_status(doc, mountpoint):
    return next((f for f in doc["fstab"] if f["mountpoint"] == mountpoint), None)


def check_tree(c, name, tree, doc, ids, guest_fs=False):
    with open(os.path.join(tree, "etc/hostname"), encoding="utf-8") as f:
        c.eq(f"{name}: /etc/hostname", f.read().strip(), ids["HOSTNAME"])
    for dom in ("web01", "mail01", "app01"):
        c.true(f"{name}: {dom}.xml present",
               os.path.isfile(os.path.join(tree, f"etc/libvirt/qemu/{dom}.xml")))
    images = os.path.join(tree, "var/lib/libvirt/images")
    web01 = [(0xa5, 100 * MiB, 2 * MiB), (0x3c, 255 * MiB, MiB)]
    if not guest_fs:
        web01.append((0x5a, 0, MiB))
        c.eq(f"{name}: web01.img content", t.file_sha256(os.path.join(images, "web01.img")),
             t.pattern_sha256(256 * MiB, web01))
    p = t.run(["qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x55 0 1M",
               "-c", "read -P 0x66 900M 1M", os.path.join(images, "app01.qcow2")])
    c.true(f"{name}: app01.qcow2 data", p.returncode == 0 and "Pattern verification failed"
           not in p.stdout, p.stdout + p.stderr)
    base = os.path.join(images, "centos7-base.qcow2")
    p = t.run(["qemu-io", "-r", "--image-opts",
               f"driver=qcow2,file.filename={os.path.join(images, 'mail01.qcow2')},"
               f"backing.driver=qcow2,backing.file.filename={base}",
               "-c", "read -P 0x11 0 1M", "-c", "read -P 0x33 1M 1M",
               "-c", "read -P 0x44 768M 512K", "-c", "read -P 0x22 512M 1M"])
    c.true(f"{name}: mail01.qcow2 over its backing file", p.returncode == 0 and
           "Pattern verification failed" not in p.stdout, p.stdout + p.stderr)
    nvram = os.path.join(tree, "var/lib/libvirt/qemu/nvram/app01_VARS.fd")
    c.eq(f"{name}: NVRAM size", os.path.getsize(nvram), 128 * 1024)
    boot = fstab_status(doc, "/boot")
    c.eq(f"{name}: /boot mounted", boot and boot["status"], "mounted")
    c.true(f"{name}: /boot has grub.cfg", os.path.isfile(os.path.join(tree, "boot/grub2/grub.cfg")))
    # Writing must be impossible.
    try:
        open(os.path.join(tree, "etc/kvmr-write-test"), "w").close()
        c.true(f"{name}: tree is read-only", False)
    except OSError:
        c.true(f"{name}: tree is read-only", True)


def wait_for_state(pid, min_mounts, timeout=60):
    path = f"/run/kvm-rescue/run-{pid}.json"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(path, encoding="utf-8") as f:
                if len(json.load(f)["mounts"]) >= min_mounts:
                    return True
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    return False


def main():
    t.require_root_and_loop()
    t.require_tools("qemu-io", "xfs_io")
    binary = t.env_path("KVMR_BIN")
    fx = t.env_path("KVMR_FIXTURES")
    ids = t.fixture_ids()
    c = t.Checker()
    with tempfile.TemporaryDirectory(prefix="kvmr-mount-", dir="/var/tmp") as tmp, \
            t.SystemState(tmp):
        tree = os.path.join(tmp, "tree")
        os.mkdir(tree)
        for name, root in [("story", "centos/root"), ("images-vg", "centos/root"),
                           ("ext4", "ext4.img p4"), ("dos", "centos/root"),
                           ("multiseg", "centos/root"), ("guest-fs", "centos/root"),
                           ("hostile", "centos/root")]:
            img = os.path.join(fx, f"{name}.img")
            before = t.sha256(img)
            doc = mount_ro(binary, [img], tree)
            try:
                t.validate(doc, "mount-ro.schema.json")
                c.eq(f"{name}: root volume", doc["root_volume"], root)
                check_tree(c, name, tree, doc, ids, guest_fs=name == "guest-fs")
                if name == "images-vg":
                    e = fstab_status(doc, "/var/lib/libvirt/images")
                    c.eq("images-vg: images LV mounted via fstab", e and (e["status"], e["volume"]),
                         ("mounted", "vmdata/images"))
                if name == "multiseg":
                    db01 = next((lv for lv in doc["lvs"] if lv["name"] == "centos/db01"), None)
                    c.eq("multiseg: db01 needs device-mapper", db01 and db01["access"],
                         "device_mapper")
                    if not t.device_mapper_registered():
                        c.true("multiseg: a note says db01 stays readable without device-mapper",
                               any("centos/db01 lies in several pieces" in n and
                                   "readable through its segment map" in n
                                   for n in doc["notes"]), str(doc["notes"]))
                if name == "dos":
                    c.eq("dos: no /boot/efi entry", fstab_status(doc, "/boot/efi"), None)
            finally:
                umount(binary, tree)
            c.eq(f"{name}: source unchanged", t.sha256(img), before)
            c.eq(f"{name}: tree empty after umount", os.listdir(tree), [])

        # A /boot whose superblock is damaged does not mount: reported, the
        # rest of the tree is still there.
        doc = mount_ro(binary, [os.path.join(fx, "corrupt-boot-sb.img")], tree)
        try:
            boot = fstab_status(doc, "/boot")
            c.eq("corrupt-boot-sb: /boot failed", boot and boot["status"], "failed")
            c.true("corrupt-boot-sb: the kernel's reason is given",
                   boot and "kernel:" in boot["detail"], boot and boot["detail"])
            c.true("corrupt-boot-sb: root still readable",
                   os.path.isfile(os.path.join(tree, "etc/libvirt/qemu/web01.xml")))
        finally:
            umount(binary, tree)

        # An XFS root with a dirty log (power cut) mounts with norecovery.
        dirty = os.path.join(tmp, "dirty.img")
        subprocess.run(["cp", "--sparse=always", os.path.join(fx, "story.img"), dirty], check=True)
        loop = subprocess.run(["losetup", "--find", "--show", "-o", "737148928",
                               "--sizelimit", str(640 * MiB), dirty],
                              capture_output=True, text=True, check=True).stdout.strip()
        mnt = os.path.join(tmp, "rw")
        os.mkdir(mnt)
        try:
            subprocess.run(["mount", "-o", "nouuid", loop, mnt], check=True)
            with open(os.path.join(mnt, "etc/dirty-marker"), "w", encoding="utf-8") as f:
                f.write("x")
            subprocess.run(["xfs_io", "-x", "-c", "shutdown -f", mnt], check=True)
        finally:
            subprocess.run(["umount", mnt])
            subprocess.run(["losetup", "-d", loop])
        doc = mount_ro(binary, [dirty], tree)
        try:
            c.eq("dirty log: root assembled", doc["root_volume"], "centos/root")
        finally:
            umount(binary, tree)

        # A second VG whose PV label is destroyed: fstab entry unresolved,
        # named, and everything else still mounted.
        broken = os.path.join(tmp, "nopv2.img")
        subprocess.run(["cp", "--sparse=always", os.path.join(fx, "images-vg.img"), broken],
                       check=True)
        with open(broken, "r+b") as f:
            f.seek(3895296 * 512)
            f.write(bytes(4096))
        doc = mount_ro(binary, [broken], tree)
        try:
            e = fstab_status(doc, "/var/lib/libvirt/images")
            c.eq("missing VG: images entry unresolved", e and e["status"], "unresolved")
            c.true("missing VG: named in problems",
                   any("vmdata-images" in p for p in doc["problems"]), doc["problems"])
        finally:
            umount(binary, tree)

        # A block device as the source: flagged read-only (BLKROSET) while
        # the session lasts, its old flag restored by umount.
        story = os.path.join(fx, "story.img")
        src = subprocess.run(["losetup", "--find", "--show", story],
                             capture_output=True, text=True, check=True).stdout.strip()
        ro_flag = f"/sys/block/{os.path.basename(src)}/ro"
        try:
            c.eq("block source: writable before", open(ro_flag).read().strip(), "0")
            p = t.run([binary, "mount-ro", src, tree])
            c.eq("block source: mount-ro exit code", p.returncode, 0)
            c.true("block source: says it set read-only", "read-only" in p.stderr, p.stderr)
            c.eq("block source: read-only during the session", open(ro_flag).read().strip(), "1")
            c.true("block source: tree assembled",
                   os.path.isfile(os.path.join(tree, "etc/libvirt/qemu/web01.xml")))
            umount(binary, tree)
            c.eq("block source: flag restored by umount", open(ro_flag).read().strip(), "0")
        finally:
            subprocess.run(["losetup", "-d", src])

        # Bad use: non-empty DIR, umount of something that is no session.
        p = t.run([binary, "mount-ro", os.path.join(fx, "story.img"), tmp])
        c.eq("non-empty DIR: exit code", p.returncode, 3)
        c.true("non-empty DIR: says why", "empty directory" in p.stderr, p.stderr)
        p = t.run([binary, "umount", tree])
        c.eq("umount without session: exit code", p.returncode, 3)

        # Ctrl-C while everything is attached: released, exit 130.
        story = os.path.join(fx, "story.img")
        env = dict(os.environ, KVMR_TEST_HOLD_SECONDS="30")
        proc = subprocess.Popen([binary, "mount-ro", story, tree], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        c.true("SIGINT: run attached its devices", wait_for_state(proc.pid, 2))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        c.eq("SIGINT: exit code", proc.returncode, 130)
        c.true("SIGINT: says it released", "released" in err, err)
        c.eq("SIGINT: tree empty", os.listdir(tree), [])
        c.eq("SIGINT: no state file left", glob.glob(f"/run/kvm-rescue/*-{proc.pid}*.json"), [])

        # SIGKILL: devices stay; the next run cleans them up.
        proc = subprocess.Popen([binary, "mount-ro", story, tree], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        c.true("SIGKILL: run attached its devices", wait_for_state(proc.pid, 2))
        proc.kill()
        proc.communicate(timeout=60)
        c.true("SIGKILL: the killed run left mounts", t.mounts() != sorted(
            m for m in t.mounts() if not m.startswith(tree)))
        tree2 = os.path.join(tmp, "tree2")
        os.mkdir(tree2)
        p = t.run([binary, "mount-ro", story, tree2], check_rc=0)
        c.true("SIGKILL: next run reports the clean-up", "cleaned up" in p.stderr, p.stderr)
        umount(binary, tree2)
        c.eq("SIGKILL: tree empty after clean-up", os.listdir(tree), [])
    c.finish()


if __name__ == "__main__":
    main()
