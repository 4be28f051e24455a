#!/usr/bin/env python3
"""Unreadable sectors seen through a filesystem, on real parts.

A disk image file (40 MiB, data with a hole) is put into an XFS filesystem
image; xfs_bmap maps a file range (68096 bytes, sector- but not
page-aligned) to the filesystem image's bytes. fuse_eio_file (test-only)
serves that image through FUSE with exactly those bytes failing with EIO,
as a disk's bad sectors do; it is attached read-only as a loop device and
mounted read-only, as the copy engine meets them. The file inside is copied
  - by the copy engine (copy_file, test-only: copy::copy_item), which
    narrows failed reads with direct I/O,
  - by `ddrescue -d` (direct I/O), the reference,
  - by the copy engine with buffered reads only (--buffered), to show
    that this loses more: the page cache fails whole pages or folios
    around the bad sectors.
The first two must lose exactly the mapped range (their ddrescue mapfiles
agree, ddrescuelog reads ours), and every other byte must equal the
source's (SHA-256 of the source with that range zeroed). The filesystem
image hashes the same before and after; nothing stays mounted, attached
or FUSE-mounted, also when a step fails.
"""
import hashlib
import json
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

MIB = 1 << 20
SECTOR = 512
SIZE = 40 * MIB
DATA = [(0, 24 * MIB), (32 * MIB, 8 * MIB)]  # a hole at 24..32 MiB
BAD_FILE_OFFSET = 5 * MIB + 3 * SECTOR        # inside the first data run
BAD_LENGTH = 64 * 1024 + 5 * SECTOR


def payload():
    rnd = random.Random(20261129)
    data = bytearray(SIZE)
    for off, length in DATA:
        data[off:off + length] = rnd.randbytes(length)
    return data


def write_sparse(path, data):
    with open(path, "wb") as f:
        f.truncate(len(data))
        for off, length in DATA:
            f.seek(off)
            f.write(data[off:off + length])


def map_ranges(path):
    """Ranges of a ddrescue mapfile by status: {status: [(pos, size)]}."""
    out = {}
    lines = [ln for ln in open(path, encoding="utf-8")
             if ln.strip() and not ln.startswith("#")]
    for ln in lines[1:]:  # the first is the current position and status
        pos, size, status = ln.split()[:3]
        out.setdefault(status, []).append((int(pos, 0), int(size, 0)))
    return out


def not_finished(path):
    m = map_ranges(path)
    return sorted(r for s, rs in m.items() if s != "+" for r in rs)


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def main():
    t.require_root_and_loop()
    fuse_bin = t.require_fuse_eio()
    copy_bin = t.env_path("KVMR_COPY_FILE")
    t.require_tools("mkfs.xfs", "xfs_bmap", "ddrescue", "ddrescuelog")

    c = t.Checker()
    with tempfile.TemporaryDirectory(prefix="kvmr-badsector-", dir="/var/tmp") as tmp, \
            t.SystemState(tmp):
        with t.cleanup_steps() as undo:
            run_test(c, tmp, fuse_bin, copy_bin, undo)
    c.finish()


def run_test(c, tmp, fuse_bin, copy_bin, undo):
    data = payload()
    inner = os.path.join(tmp, "vm.img")
    write_sparse(inner, data)
    fs_img = os.path.join(tmp, "fs.img")
    with open(fs_img, "wb") as f:
        f.truncate(512 * MIB)
    t.run(["mkfs.xfs", "-q", fs_img], check_rc=0)

    # Put the disk image in and find where its bytes lie in fs.img.
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    loop = t.run(["losetup", "-f", "--show", fs_img], check_rc=0).stdout.strip()
    undo.append(lambda: t.run(["losetup", "-d", loop]))
    t.run(["mount", loop, mnt], check_rc=0)
    undo.append(lambda: t.run(["umount", mnt]))
    t.run(["cp", "--sparse=always", inner, mnt], check_rc=0)
    t.run(["sync"], check_rc=0)
    extents = t.xfs_extents(os.path.join(mnt, "vm.img"))
    undo.pop()()
    undo.pop()()
    os.unlink(inner)

    hit = [e for e in extents
           if e[0] <= BAD_FILE_OFFSET and BAD_FILE_OFFSET + BAD_LENGTH <= e[0] + e[2]]
    if not hit:
        raise AssertionError(f"no single extent holds the bad range: {extents}")
    f0, d0, _ = hit[0]
    bad_dev_offset = d0 + BAD_FILE_OFFSET - f0
    print(f"vm.img extents (file, device, length): {extents}")
    print(f"EIO on fs.img bytes {bad_dev_offset}+{BAD_LENGTH} = "
          f"vm.img bytes {BAD_FILE_OFFSET}+{BAD_LENGTH}")
    before = t.sha256(fs_img)

    # fs.img through FUSE, with the EIO range; read-only loop; ro mount.
    disk = t.serve_with_eio(fuse_bin, fs_img, bad_dev_offset, BAD_LENGTH,
                            os.path.join(tmp, "fuse"), undo)
    loop = t.run(["losetup", "-r", "-f", "--show", disk], check_rc=0).stdout.strip()
    undo.append(lambda: t.run(["losetup", "-d", loop]))
    src_mnt = os.path.join(tmp, "src")
    os.mkdir(src_mnt)
    t.run(["mount", "-o", "ro,nouuid", loop, src_mnt], check_rc=0)
    undo.append(lambda: t.run(["umount", src_mnt]))
    src = os.path.join(src_mnt, "vm.img")

    expected_bad = [(BAD_FILE_OFFSET, BAD_LENGTH)]
    zeroed = bytearray(data)
    zeroed[BAD_FILE_OFFSET:BAD_FILE_OFFSET + BAD_LENGTH] = bytes(BAD_LENGTH)
    want_hash = hashlib.sha256(zeroed).hexdigest()
    out = os.path.join(tmp, "out")
    os.mkdir(out)

    # The copy engine, splitting with direct I/O.
    drop_cache(src)
    p = t.run([copy_bin, src, os.path.join(out, "direct.img")])
    c.eq("copy_file exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stderr)
        return
    direct = json.loads(p.stdout)
    print(f"copy engine (direct split): bad {direct['bad']}")
    c.eq("copy engine: bad ranges are the EIO range", [tuple(b) for b in direct["bad"]],
         expected_bad)
    c.eq("copy engine: hash = source with the bad sectors zeroed", direct["hash"], want_hash)
    c.eq("copy engine: the copy's bytes", t.file_sha256(os.path.join(out, "direct.img")),
         want_hash)
    c.true("copy engine: mapfile kept", bool(direct["map"]) and os.path.exists(direct["map"]))
    if direct["map"]:
        c.eq("copy engine mapfile: not finished = the EIO range", not_finished(direct["map"]),
             expected_bad)
        c.eq("copy engine mapfile: marked bad ('-')", map_ranges(direct["map"]).get("-"),
             expected_bad)
        c.eq("ddrescuelog -t reads the mapfile",
             t.run(["ddrescuelog", "-t", direct["map"]]).returncode, 0)
        listed = t.run(["ddrescuelog", "-b", str(SECTOR), "-l-", direct["map"]],
                       check_rc=0).stdout.split()
        c.eq("ddrescuelog -l- lists the bad sectors", [int(s) for s in listed],
             list(range(BAD_FILE_OFFSET // SECTOR, (BAD_FILE_OFFSET + BAD_LENGTH) // SECTOR)))

    # ddrescue -d, the reference.
    drop_cache(src)
    dd_map = os.path.join(out, "ddrescue.map")
    t.run(["ddrescue", "-d", "-q", "-b", str(SECTOR), src, os.path.join(out, "ddrescue.img"),
           dd_map], check_rc=0)
    dd_bad = not_finished(dd_map)
    print(f"ddrescue -d: not finished {dd_bad}")
    c.eq("ddrescue -d loses the same bytes as the copy engine",
         dd_bad, [tuple(b) for b in direct["bad"]])
    c.eq("ddrescue -d's copy equals the copy engine's",
         t.file_sha256(os.path.join(out, "ddrescue.img")), want_hash)

    # The copy engine with buffered reads only: the page cache fails whole
    # pages or folios around the bad sectors.
    drop_cache(src)
    p = t.run([copy_bin, "--buffered", src, os.path.join(out, "buffered.img")])
    c.eq("copy_file --buffered exit code", p.returncode, 0)
    if p.returncode == 0:
        buffered = json.loads(p.stdout)
        lost = sum(b[1] for b in buffered["bad"])
        print(f"copy engine (buffered): bad {buffered['bad']} ({lost} bytes)")
        c.true("buffered covers the EIO range",
               any(b[0] <= BAD_FILE_OFFSET and BAD_FILE_OFFSET + BAD_LENGTH <= b[0] + b[1]
                   for b in buffered["bad"]), str(buffered["bad"]))
        c.true("buffered loses more than the EIO range", lost > BAD_LENGTH,
               f"lost {lost} bytes")

    undo.pop()()  # umount
    undo.pop()()  # losetup -d
    undo.pop()()  # fusermount -u
    c.eq("fs.img unchanged", t.sha256(fs_img), before)


if __name__ == "__main__":
    main()
