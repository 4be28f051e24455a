#!/usr/bin/env python3
"""The probe subcommand's contract: exit codes, JSON on stdout only,
messages on stderr, human output within 80 columns, bad paths reported per
disk while the others are still probed, and a read-only loop device probed
as a block device.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402


def main():
    t.require_root_and_loop()
    binary = t.env_path("KVMR_BIN")
    fixtures = t.env_path("KVMR_FIXTURES")
    story = os.path.join(fixtures, "story.img")
    blank = os.path.join(fixtures, "blank.img")
    c = t.Checker()

    with tempfile.TemporaryDirectory(prefix="kvmr-cli-") as tmp, t.SystemState(tmp):
        empty = os.path.join(tmp, "empty.img")
        open(empty, "wb").close()
        missing = os.path.join(tmp, "missing.img")

        # Exit 0, one JSON document, nothing on stderr.
        p = t.run([binary, "probe", "--json", story, blank])
        c.eq("good disks: exit code", p.returncode, 0)
        c.eq("good disks: stderr empty", p.stderr, "")
        doc = json.loads(p.stdout)
        t.validate(doc, "probe.schema.json")
        c.eq("good disks: two disks", [d["path"] for d in doc["disks"]], [story, blank])

        # Exit 1: a disk that cannot be read; the others are still there.
        p = t.run([binary, "probe", "--json", missing, story, tmp, empty])
        c.eq("bad paths: exit code", p.returncode, 1)
        doc = json.loads(p.stdout)
        t.validate(doc, "probe.schema.json")
        st = {d["path"]: d["status"] for d in doc["disks"]}
        c.eq("bad paths: statuses", st,
             {missing: "error", story: "ok", tmp: "error", empty: "error"})
        c.true("bad paths: stderr names the missing file", missing in p.stderr, p.stderr)
        c.true("bad paths: stderr says directory", "is a directory" in p.stderr, p.stderr)

        # Exit 2: usage errors.
        p = t.run([binary, "probe", "--no-such-option"])
        c.eq("bad option: exit code", p.returncode, 2)
        c.true("bad option: message on stderr", "no-such-option" in p.stderr, p.stderr)
        p = t.run([binary])
        c.eq("no subcommand: exit code", p.returncode, 2)
        p = t.run([binary, "probe", "--help"])
        c.eq("--help: exit code", p.returncode, 0)

        # Human output: fits 80 columns, says why the disk does not boot.
        p = t.run([binary, "probe", story, blank, missing])
        c.eq("human: exit code", p.returncode, 1)
        wide = [line for line in p.stdout.splitlines() if t.columns(line) > 80]
        c.eq("human: lines over 80 columns", wide, [])
        c.true("human: BIOS verdict in words", "BIOS boot: WILL NOT BOOT" in p.stdout, p.stdout)
        c.true("human: blank disk named", "blank" in p.stdout)

        # A read-only loop device over the story image is a block device.
        before = t.sha256(story)
        loop = subprocess.run(["losetup", "--find", "--show", "--read-only", story],
                              capture_output=True, text=True, check=True).stdout.strip()
        try:
            doc, _ = t.probe_json(binary, loop)
            d = doc["disks"][0]
            c.eq("loop: is a block device", d["device"]["is_block_device"], True)
            c.eq("loop: transport", d["device"]["transport"], "loop")
            c.eq("loop: backing file", d["device"]["loop_backing_file"], story)
            c.eq("loop: smart", d["smart"]["status"], "not_applicable")
            c.eq("loop: same partitions as the image",
                 len(d["partition_table"]["partitions"]), 4)
            doc, _ = t.probe_json(binary, rc=None)
            c.true("no arguments: the attached loop device is listed",
                   loop in [x["path"] for x in doc["disks"]])
        finally:
            subprocess.run(["losetup", "-d", loop], check=True)
        c.eq("loop: image unchanged", t.sha256(story), before)
    c.finish()


if __name__ == "__main__":
    main()
