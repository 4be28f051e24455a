#!/usr/bin/env python3
"""kvm-rescue rescue onto the other kinds of target: a directory (a
mounted filesystem) and a block device:

(i) a directory target (a mounted XFS loop filesystem): copied in place,
    nothing prepared, a rerun keeps every item.
(m) a block device (a loop device over a blank image) as the target.
Nothing may stay attached after any case (SystemState). The case letters
are those of the former copy_test.py; KVMR_COPY_CASES picks some.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402


def case_directory(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    with t.LoopFs(work, "dir-target") as d:
        mnt = d.mnt
        p = cl.rescue(binary, story, mnt, confirm=False)
        if not cl.exit_code_is(c, "i: rescue into a directory exit code", p):
            return
        man = cl.load(os.path.join(mnt, "kvm-rescue/manifest.json"))
        c.true("i: every item copied", all(i["status"] == "copied" for i in man["items"]))
        for it in man["items"]:
            c.true(f"i: {it['dest']} present", os.path.isfile(os.path.join(mnt, it["dest"])))
        p = cl.rescue(binary, story, mnt, confirm=False)
        c.eq("i: rerun exit code", p.returncode, 0)
        rep = cl.load(os.path.join(mnt, "kvm-rescue/report.json"))
        c.eq("i: rerun keeps every item", rep["totals"]["reused"], len(man["items"]))


def case_block_device(c, binary, fixtures, work):
    """A real block device as the target (a loop device over a blank image):
    mkfs.vfat refuses a block device that carries a partition table unless
    told (-I), which image files never showed."""
    story = os.path.join(fixtures, "story.img")
    image = os.path.join(work, "blockdev-new.img")
    cl.new_image(image, 4 << 30)
    before = t.sha256(story)
    dev = t.run(["losetup", "-f", "--show", image], check_rc=0).stdout.strip()
    try:
        p = cl.rescue(binary, story, dev)
        if not cl.exit_code_is(c, "m: rescue onto a block device exit code", p):
            return
        doc, _ = t.probe_json(binary, "--no-smart", dev)
        labels = [q["filesystem"]["label"] for q in doc["disks"][0]["partition_table"]["partitions"]]
        c.true("m: an OEMDRV filesystem on the device", "OEMDRV" in labels, str(labels))
        cl.check_copy(c, "m", binary, story, dev, work)
    finally:
        t.run(["losetup", "-d", dev])
    c.eq("m: the source is unchanged", t.sha256(story), before)


if __name__ == "__main__":
    cl.run_cases({"i": case_directory, "m": case_block_device})
