#!/usr/bin/env python3
"""A bad sector inside a qcow2 data cluster, through the whole rescue.

The story fixture's app01.qcow2 (on the old host's root LV) is located
byte for byte: `kvm-rescue mount-ro --json` gives the LV's offset in
story.img, `qemu-img map --output=json` a data cluster of the image away
from guest offset 0 (the ground truth for the guest offset), `xfs_bmap`
where that cluster lies in the LV. fuse_eio_file (test-only) serves
story.img with 4 KiB inside that cluster failing with EIO, as a disk's
bad sectors do, and `kvm-rescue rescue --vm app01` copies it onto a new
image. Checked: exit 1 (partial); report.json (valid against its schema)
has exactly that damaged range for app01.qcow2, with qcow2 area "data"
and the guest range qemu-img map gives; report.txt names the guest
offset; the copy on the target reads zeros there and qemu's own view of
it (qemu-img convert) differs from the source's in exactly that guest
range. story.img hashes the same before and after; nothing stays
mounted, attached or FUSE-mounted, also when a step fails.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
from kvmr_copylib import Mounted, load, new_image, rescue  # noqa: E402

IMAGES = "/var/lib/libvirt/images"
BAD_IN_CLUSTER = 8192  # the bad bytes start this far into the data cluster
BAD_LENGTH = 4096


def locate(binary, story, tmp):
    """(story.img offset of the bad bytes, their app01.qcow2 offset, guest offset)."""
    ro = os.path.join(tmp, "ro")
    os.mkdir(ro)
    p = t.run([binary, "mount-ro", story, ro, "--json"], check_rc=0)
    try:
        doc = json.loads(p.stdout)
        img = os.path.join(ro, IMAGES.lstrip("/"), "app01.qcow2")
        # The volume the images directory is on: the deepest mount point above it.
        vols = [v for v in doc["volumes"] if v["mountpoint"] and
                (IMAGES + "/").startswith(v["mountpoint"].rstrip("/") + "/")]
        vol = max(vols, key=lambda v: len(v["mountpoint"]))
        if not vol["contiguous"]:
            raise AssertionError(f"the images volume is not contiguous: {vol}")
        qmap = json.loads(t.run(["qemu-img", "map", "-U", "-f", "qcow2", "--output=json", img],
                                check_rc=0).stdout)
        data = [e for e in qmap if e["data"] and "offset" in e and e["start"] > 0]
        if not data:
            raise AssertionError(f"app01.qcow2 has no data cluster past guest 0: {qmap}")
        host = data[-1]["offset"] + BAD_IN_CLUSTER
        guest = data[-1]["start"] + BAD_IN_CLUSTER
        hit = [e for e in t.xfs_extents(img) if e[0] <= host and host + BAD_LENGTH <= e[0] + e[2]]
        if not hit:
            raise AssertionError("no single XFS extent holds the bad bytes")
        f0, d0, _ = hit[0]
        return vol["offset"] + d0 + host - f0, host, guest
    finally:
        t.run([binary, "umount", ro], check_rc=0)


def main():
    t.require_root_and_loop()
    fuse_bin = t.require_fuse_eio()
    t.require_tools("xfs_bmap", "qemu-img")
    binary = t.env_path("KVMR_BIN")
    story = t.fixture("story.img")  # a missing fixture fails: ctest builds it first

    c = t.Checker()
    with tempfile.TemporaryDirectory(prefix="kvmr-qcow2bad-", dir="/var/tmp") as tmp, \
            t.SystemState(tmp):
        before = t.sha256(story)
        with t.cleanup_steps() as undo:
            run_test(c, tmp, binary, fuse_bin, story, undo)
        c.eq("story.img unchanged", t.sha256(story), before)
    c.finish()


def run_test(c, tmp, binary, fuse_bin, story, undo):
    bad_disk, host, guest = locate(binary, story, tmp)
    print(f"EIO on story.img bytes {bad_disk}+{BAD_LENGTH} = app01.qcow2 bytes {host} "
          f"= guest offset {guest:#x}")

    disk = t.serve_with_eio(fuse_bin, story, bad_disk, BAD_LENGTH, os.path.join(tmp, "fuse"),
                            undo)

    target = os.path.join(tmp, "new.img")
    new_image(target, 4 << 30)
    p = rescue(binary, disk, target, "--vm", "app01", "--json")
    c.eq("rescue exit code (partial: bad sectors)", p.returncode, 1)
    try:  # the report, also after a wrong exit code, to show what went wrong
        rep = json.loads(p.stdout)
    except ValueError:
        print(p.stderr[-3000:])
        return
    try:
        t.validate(rep, "report.schema.json")
        c.true("report.json validates", True)
    except Exception as e:  # noqa: BLE001
        c.true("report.json validates", False, str(e)[:400])
    damaged = rep["damaged"]
    c.eq("one damaged range", len(damaged), 1)
    if len(damaged) != 1:
        print(json.dumps(damaged, indent=1))
        return
    d = damaged[0]
    c.eq("damaged: the VM", d["vm"], "app01")
    c.eq("damaged: the guest disk", d.get("guest_disk"), "vda")
    c.eq("damaged: the image", os.path.basename(d["dest"]), "app01.qcow2")
    c.eq("damaged: the file range", (d["offset"], d["length"]), (host, BAD_LENGTH))
    c.eq("damaged: the format", d["format"], "qcow2")
    q = d.get("qcow2", {})
    c.eq("qcow2: area data", q.get("area"), "data")
    c.eq("qcow2: the guest range qemu-img map gives", q.get("guest_ranges"),
         [[guest, BAD_LENGTH]])

    with Mounted(binary, target, os.path.join(tmp, "target")) as m:
        text = open(os.path.join(m.where, "kvm-rescue/report.txt"), encoding="utf-8").read()
        c.true("report.txt names the guest disk", "app01            disk vda: " in text,
               text[-1500:])
        c.true("report.txt names the guest offset",
               f"qcow2 data: guest offset {guest:#x} (4.0 KiB)" in text, text[-1500:])
        copy = os.path.join(m.where, d["dest"])
        man = load(os.path.join(m.where, "kvm-rescue/manifest.json"))
        c.true("manifest: app01.qcow2 copied with bad sectors",
               any(i["dest"] == d["dest"] and i["status"] == "copied_with_bad_sectors"
                   for i in man["items"]))
        with open(copy, "rb") as f:
            f.seek(host)
            c.eq("the copy holds zeros there", f.read(BAD_LENGTH), bytes(BAD_LENGTH))
        # qemu's view of the copy: the guest bytes at GUEST are zeros now.
        got = t.run(["qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw", copy,
                     os.path.join(tmp, "copy.raw")])
        c.eq("qemu-img convert of the copy", got.returncode, 0)
        if got.returncode == 0:
            with open(os.path.join(tmp, "copy.raw"), "rb") as f:
                f.seek(guest - 4096)
                around = f.read(BAD_LENGTH + 8192)
            c.true("guest bytes before the range are data", any(around[:4096]))
            c.eq("guest bytes of the range are zeros", around[4096:4096 + BAD_LENGTH],
                 bytes(BAD_LENGTH))
            c.true("guest bytes after the range are data", any(around[4096 + BAD_LENGTH:]))

    undo.pop()()  # fusermount -u


if __name__ == "__main__":
    main()
