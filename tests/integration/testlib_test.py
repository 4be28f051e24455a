#!/usr/bin/env python3
"""kvmr_testlib.sha256, the "untouched" hash of every other test, on a small
ext4 loop filesystem (real unwritten extents):

(a) a file with data, holes and a preallocated (unwritten) extent hashes
    the same before and after that extent is read, and after its pages are
    dropped again: the extent map such a read changes is not what counts;
(b) zeros written into a hole change it (the write sets mtime), and so does
    one changed byte, even with mtime put back;
(c) with mtime=False, two files of the same content hash the same however
    their zeros are stored (hole, unwritten, written).
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

MiB = 1 << 20


def drop_pages(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def make_file(path, zeros):
    """8 MiB: data at 1 MiB, ZEROS ('hole', 'unwritten', 'written') at
    3-5 MiB, data at 6 MiB, a hole up to the end."""
    with open(path, "wb") as f:
        f.truncate(8 * MiB)
        f.seek(1 * MiB)
        f.write(b"kvm-rescue" * 1000)
        f.seek(6 * MiB)
        f.write(bytes(range(256)) * 64)
        if zeros == "written":
            f.seek(3 * MiB)
            f.write(bytes(2 * MiB))
        f.flush()
        if zeros == "unwritten":
            os.posix_fallocate(f.fileno(), 3 * MiB, 2 * MiB)
        os.fsync(f.fileno())
    drop_pages(path)


def data_extents(path):
    out = []
    fd = os.open(path, os.O_RDONLY)
    try:
        off, size = 0, os.fstat(fd).st_size
        while off < size:
            try:
                start = os.lseek(fd, off, os.SEEK_DATA)
            except OSError:
                break
            off = os.lseek(fd, start, os.SEEK_HOLE)
            out.append((start, off))
    finally:
        os.close(fd)
    return out


def cases(c, d):
    f = os.path.join(d, "prealloc.img")
    make_file(f, "unwritten")
    cold = data_extents(f)
    before = t.sha256(f)
    with open(f, "rb") as r:
        r.seek(3 * MiB + 4096)
        r.read(MiB)
    warm = data_extents(f)
    # The premise: on this filesystem a read of an unwritten extent changes
    # what SEEK_DATA reports. Without it the case proves nothing.
    c.true("a: reading the unwritten extent changes the extent map (ext4)", warm != cold,
           f"{cold} vs {warm}")
    c.eq("a: same hash after the unwritten extent was read", t.sha256(f), before)
    drop_pages(f)
    c.eq("a: same hash after its pages were dropped", t.sha256(f), before)

    st = os.stat(f)
    with open(f, "r+b") as w:
        w.seek(7 * MiB)
        w.write(bytes(4096))
    c.true("b: zeros written into a hole change it", t.sha256(f) != before)
    after_zeros = t.sha256(f)
    with open(f, "r+b") as w:
        w.seek(6 * MiB + 5)
        w.write(b"\xff")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    c.true("b: one changed byte changes it with mtime put back",
           t.sha256(f) not in (before, after_zeros))

    hashes = {}
    for zeros in ("hole", "unwritten", "written"):
        g = os.path.join(d, f"{zeros}.img")
        make_file(g, zeros)
        hashes[zeros] = t.sha256(g, mtime=False)
    c.eq("c: zeros stored three ways hash alike", len(set(hashes.values())), 1)
    c.true("c: mtime makes two files differ", t.sha256(os.path.join(d, "hole.img")) !=
           t.sha256(os.path.join(d, "written.img")))


def main():
    t.require_root_and_loop()
    t.require_tools("mkfs.ext4")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="testlib-test.", dir=os.path.dirname(t.env_path("KVMR_FIXTURES")))
    with t.SystemState(work), t.LoopFs(work, "fs", "ext4", 64 * MiB) as fs:
        cases(c, fs.mnt)
    subprocess.run(["rm", "-rf", work], check=False)
    c.finish()


if __name__ == "__main__":
    main()
