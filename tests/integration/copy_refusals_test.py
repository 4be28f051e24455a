#!/usr/bin/env python3
"""What kvm-rescue rescue / copy refuse before writing anything: exit 2
and the target untouched:

(b) no --confirm-wipe: exit 2, target untouched.
(c) a target that is a copy of the source: refused naming a UUID.
(d) a 64 MiB target: refused (too small).
(h) copy --plan on a source whose identity changed: exit 2 naming it;
    a plan made on an image file still runs when the same disk is a loop
    device under another name (found by its table and filesystem UUIDs).
Nothing may stay attached after any case (SystemState). The case letters
are those of the former copy_test.py; KVMR_COPY_CASES picks some.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402

MiB = 1 << 20


def case_no_confirm(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "noconfirm.img")
    cl.new_image(target, 4 << 30)
    before = t.sha256(target)
    p = cl.rescue(binary, story, target, confirm=False)
    c.eq("b: exit code without --confirm-wipe", p.returncode, 2)
    c.true("b: says --confirm-wipe", "--confirm-wipe" in p.stderr, p.stderr)
    c.eq("b: target untouched", t.sha256(target), before)
    p = cl.rescue(binary, story, target, "--confirm-wipe", "/dev/null", confirm=False)
    c.eq("b: exit code with another path", p.returncode, 2)
    c.eq("b: target still untouched", t.sha256(target), before)


def case_source_copy(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "clone.img")
    t.run(["cp", "--sparse=always", story, target], check_rc=0)
    doc, _ = t.probe_json(binary, "--no-smart", story)
    ids = {doc["disks"][0]["partition_table"]["id"].lower()} | {
        p["filesystem"]["uuid"].lower() for p in doc["disks"][0]["partition_table"]["partitions"]
        if p["filesystem"]["uuid"]} | {
        p["uuid"].lower() for p in doc["disks"][0]["partition_table"]["partitions"] if p["uuid"]}
    before = t.sha256(target)
    p = cl.rescue(binary, story, target)
    c.eq("c: exit code for a copy of the source", p.returncode, 2)
    c.true("c: names a UUID of the source", any(i in p.stderr.lower() for i in ids), p.stderr)
    c.eq("c: clone untouched", t.sha256(target), before)


def case_too_small(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "small.img")
    cl.new_image(target, 64 * MiB)
    before = t.sha256(target)
    p = cl.rescue(binary, story, target)
    c.eq("d: exit code for a 64 MiB target", p.returncode, 2)
    low = p.stderr.lower()
    c.true("d: says it is too small", "small" in low or "need" in low or "fit" in low, p.stderr)
    c.eq("d: small target untouched", t.sha256(target), before)


def case_identity(c, binary, fixtures, work):
    src = os.path.join(work, "moving.img")
    t.run(["cp", "--sparse=always", os.path.join(fixtures, "story.img"), src], check_rc=0)
    target = os.path.join(work, "identity.img")
    cl.new_image(target, 4 << 30)
    plan = os.path.join(work, "plan.json")
    p = t.run([binary, "plan", src, "--target", target, "-o", plan])
    # Every VM of the story is ready and fits: a complete plan (docs/cli.md).
    c.eq("h: plan exit code", p.returncode, 0)
    c.true("h: plan made", os.path.isfile(plan), p.stderr)
    if not os.path.isfile(plan):
        return
    # Another disk at the same path: the GPT disk GUID changes.
    t.run(["sfdisk", "--disk-id", src, "0E6F2A44-1B7C-4D4E-9C11-2F0D8A3B5C66"], check_rc=0)
    before = t.sha256(target)
    p = t.run([binary, "copy", "--plan", plan, "--confirm-wipe", target])
    c.eq("h: exit code for a changed source", p.returncode, 2)
    c.true("h: names the difference", "0e6f2a44" in p.stderr.lower() or
           "table" in p.stderr.lower() or "guid" in p.stderr.lower(), p.stderr)
    c.eq("h: target untouched", t.sha256(target), before)

    # A plan made on an image file, run where the same disk is a block
    # device under another name with no by-id link (the image moved away,
    # a loop device over it): found by its table and filesystem UUIDs.
    src2 = os.path.join(work, "planned-as-image.img")
    t.run(["cp", "--sparse=always", os.path.join(fixtures, "story.img"), src2], check_rc=0)
    plan2 = os.path.join(work, "plan2.json")
    t.run([binary, "plan", src2, "--target", target, "-o", plan2], check_rc=0)
    loop = t.run(["losetup", "-r", "-f", "--show", src2], check_rc=0).stdout.strip()
    moved = src2 + ".moved"
    os.rename(src2, moved)
    try:
        p = t.run([binary, "copy", "--plan", plan2, "--confirm-wipe", target])
        c.true("h: a plan made on an image runs from the disk found by identity",
               p.returncode == 0, f"exit {p.returncode}: {p.stderr[-1500:]}")
    finally:
        t.run(["losetup", "-d", loop])


if __name__ == "__main__":
    cl.run_cases({"b": case_no_confirm, "c": case_source_copy, "d": case_too_small,
                  "h": case_identity})
