#!/usr/bin/env python3
"""An LV in two pieces read byte for byte without device-mapper.

The --multiseg fixture's db01 (VG centos, 48 MiB) lies in two separate PE
ranges. lv_read (test-only) reads it through io::LvByteSource; its SHA-256
must equal that of the content make_db01 wrote (rebuilt here from its
description: 0xdb in the first MiB, 0xd1 over 23..25 MiB across the
segment boundary, 0xd2 in the last MiB, zeros elsewhere). A copy of the
image cut inside db01's second piece must fail with an error naming the
LV and the LV offset, and report the lost range as unreadable. The image
hashes the same before and after; nothing is attached or mounted.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

MIB = 1 << 20


def db01_content_sha256():
    data = bytearray(48 * MIB)
    data[0:MIB] = b"\xdb" * MIB
    data[23 * MIB:25 * MIB] = b"\xd1" * (2 * MIB)
    data[47 * MIB:48 * MIB] = b"\xd2" * MIB
    return hashlib.sha256(data).hexdigest()


def lv_read(tool, images, lv):
    p = subprocess.run([tool, *images, "--", lv], capture_output=True, text=True)
    doc = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, doc, p.stderr


def main():
    t.require_root_and_loop()
    tool = t.env_path("KVMR_LV_READ")
    img = os.path.join(t.env_path("KVMR_FIXTURES"), "multiseg.img")
    c = t.Checker()
    with tempfile.TemporaryDirectory(prefix="kvmr-lvread-", dir="/var/tmp") as tmp, \
            t.SystemState(tmp):
        before = t.sha256(img)
        rc, doc, err = lv_read(tool, [img], "centos/db01")
        c.eq("lv_read exit code", rc, 0)
        if doc is None:
            print(err)
            c.finish()
        c.eq("db01 size", doc["size"], 48 * MIB)
        c.eq("db01 is two segments", doc["segments"], 2)
        c.eq("db01 needs device-mapper to be mounted", doc["access"], "device_mapper")
        c.eq("db01 read to the end", doc["bytes_read"], 48 * MIB)
        c.eq("db01 bytes match make_db01's content", doc["sha256"], db01_content_sha256())
        covered = sum(e[1] for e in doc["extents"])
        c.eq("extents cover db01", covered, 48 * MIB)
        c.true("no unreadable extent", all(e[2] != "unreadable" for e in doc["extents"]),
               str(doc["extents"]))
        c.true("the written first MiB is data",
               any(e[2] == "data" and e[0] == 0 for e in doc["extents"]), str(doc["extents"]))

        rc, _, err = lv_read(tool, [img], "centos/nosuch")
        c.eq("unknown LV exit code", rc, 2)

        # A copy cut 10 MiB into db01's second piece. Its GPT is gone with
        # the end of the file, so the PV is named by its offset and its
        # size on the intact disk: the read finds where the bytes end.
        ranges = doc["ranges"]
        pvs = doc["pvs"]
        c.eq("db01 lies in two device ranges", len(ranges), 2)
        c.eq("one PV", len(pvs), 1)
        if len(ranges) == 2 and len(pvs) == 1:
            c.eq("second range starts at LV offset 24 MiB", ranges[1][0], 24 * MIB)
            cut = os.path.join(tmp, "cut.img")
            subprocess.run(["cp", "--sparse=always", img, cut], check=True)
            os.truncate(cut, ranges[1][3] + 10 * MIB)
            pv = f"{cut}@{pvs[0]['offset']}:{pvs[0]['size']}"
            rc, cdoc, err = lv_read(tool, ["--pv", pv], "centos/db01")
            c.eq("cut image: exit code", rc, 3)
            cdoc = cdoc or {}
            msg = cdoc.get("error", "")
            c.true("cut image: the error names the LV and the LV offset",
                   msg.startswith(f"centos/db01: read at LV offset {34 * MIB} "), msg + err)
            c.true("cut image: the error says where the PV ends",
                   f"the PV ends at byte {ranges[1][3] + 10 * MIB}" in msg, msg)
            c.true("cut image: bytes up to the lost part were read",
                   34 * MIB - (1 << 20) - 4097 <= cdoc.get("bytes_read", -1) <= 34 * MIB,
                   str(cdoc.get("bytes_read")))
            c.eq("cut image: the lost part is unreadable", cdoc.get("extents", [])[-1:],
                 [[34 * MIB, 14 * MIB, "unreadable"]])
        c.eq("source image unchanged", t.sha256(img), before)
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
