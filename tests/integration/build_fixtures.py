#!/usr/bin/env python3
"""Builds every dead-host fixture variant the integration tests use.

Runs scripts/make-fixture once per variant into $KVMR_FIXTURES. The images
are rebuilt only when the builder (or its id file) changed: a stamp file
holds the builder's hash. Also proves the builder leaves nothing attached.
"""
import hashlib
import os
import pathlib
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

# name -> make-fixture arguments
VARIANTS = {
    "story": ["dead-host"],
    "intact": ["dead-host", "--boot", "intact"],
    "no-initramfs": ["dead-host", "--boot", "intact", "--no-initramfs"],
    "corrupt-boot-sb": ["dead-host", "--corrupt-boot-sb"],
    "dos": ["dead-host", "--table", "dos"],
    "ext4": ["dead-host", "--root", "ext4"],
    "images-vg": ["dead-host", "--images-vg"],
    "block-vm": ["dead-host", "--block-vm"],
    "multiseg": ["dead-host", "--multiseg"],
    "guest-fs": ["dead-host", "--guest-fs"],
    "hostile": ["dead-host", "--hostile-names"],
    "broken-vms": ["dead-host", "--broken-vms"],
    "dirty-root-log": ["dead-host", "--dirty-root-log"],
    "real-world": ["dead-host", "--real-world"],
    "home": ["dead-host", "--home-layout"],
    "boot-vms": ["dead-host", "--boot-vms"],
}


def builder_hash(src):
    h = hashlib.sha256()
    for p in sorted(pathlib.Path(src, "scripts").glob("make-fixture")) + sorted(
            pathlib.Path(src, "scripts", "lib").glob("*")) + [
            pathlib.Path(src, "scripts", "fixture-ids.env")]:
        if p.is_file() and p.suffix != ".pyc":  # not a __pycache__ left by a script there
            h.update(p.read_bytes())
    h.update(repr(VARIANTS).encode())
    return h.hexdigest()


def main():
    t.require_root_and_loop()
    t.require_tools("sfdisk", "mkfs.xfs", "mkfs.vfat", "mcopy", "lvm", "qemu-img", "qemu-io")
    src = t.env_path("KVMR_SOURCE_DIR")
    out = pathlib.Path(t.env_path("KVMR_FIXTURES"))
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / "stamp"
    want = builder_hash(src)
    have_all = all((out / f"{n}.img").exists() for n in VARIANTS) and (out / "blank.img").exists()
    if have_all and stamp.exists() and stamp.read_text() == want:
        print("fixtures are up to date")
        print(f"{len(VARIANTS) + 1} passed, 0 failed")
        return 0
    stamp.unlink(missing_ok=True)
    c = t.Checker()
    builder = os.path.join(src, "scripts", "make-fixture")
    # make-fixture's scratch files (and the loop devices over them) live
    # under the build tree, so SystemState counts them as this test's.
    work = out / "work"
    work.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(work))
    with t.SystemState() as state:
        for name, args in VARIANTS.items():
            started = time.monotonic()
            p = t.run([builder, *args, str(out / f"{name}.img")], env=env)
            c.eq(f"make-fixture {name} exit code", p.returncode, 0)
            if p.returncode != 0:
                print(p.stderr)
            print(f"{name}: {time.monotonic() - started:.1f} s")
            state.check()
        p = t.run([builder, "blank", "4G", str(out / "blank.img")], env=env)
        c.eq("make-fixture blank exit code", p.returncode, 0)
    c.true("no temporary files left", not list(out.glob("*.tmp*")), str(list(out.glob("*.tmp*"))))
    c.true("make-fixture removed its scratch directories", not list(work.iterdir()),
           str(list(work.iterdir())))
    if not list(work.iterdir()):
        work.rmdir()
    if not c.failures:
        stamp.write_text(want)
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
