#!/usr/bin/env python3
"""guestfs::GuestfsTree (the libguestfs path) on the story and images-vg
fixtures, checked against the kernel.

guestfs_dump opens each image through the appliance and prints the SHA-256
of the host's libvirt XML, fstab, hostname, NVRAM and guest images; the same
files are then read through read-only loop devices at the LVs' byte offsets
(computed with lvm on a read-only loop of each PV partition, activation
off) mounted ro,norecovery,nouuid. Both must agree, /var/lib/libvirt/images
on its own LV (images-vg) must be found through the root's /etc/fstab, and
the source images must hash the same before and after.

A power-cut host leaves a dirty XFS log: a scratch copy of story.img gets
one (a marker file written, then the filesystem shut down), and the tree
must still mount its root, plain "ro": with read-only drives the appliance
replays the log into its throw-away overlay, so the marker that only the
log holds is visible there, while a kernel ro,norecovery mount misses it.

Skips (exit 77) when not root or when libguestfs cannot launch an appliance
here, printing libguestfs' own error. The appliance runs under TCG unless
LIBGUESTFS_BACKEND_SETTINGS is set: a /dev/kvm that exists but does not
work (nested virtualisation) would otherwise make every launch fail.
"""
import contextlib
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

LVM_CONFIG = ("global{activation=0} devices{use_devicesfile=0 obtain_device_list_from_udev=0 "
              "scan_lvs=0} activation{udev_sync=0 udev_rules=0} backup{backup=0 archive=0}")
LVM_PART_TYPES = {"e6d6d379-f507-44c2-a23c-238f2a3df928", "8e"}
IMAGES = "/var/lib/libvirt/images"
XML_DIR = "/etc/libvirt/qemu"
HOST_FILES = ["/etc/fstab", "/etc/hostname", "/var/lib/libvirt/qemu/nvram/app01_VARS.fd"]
IMAGE_FILES = ["web01.img", "mail01.qcow2", "centos7-base.qcow2"]


@contextlib.contextmanager
def ro_loop(image, offset, size):
    dev = t.run(["losetup", "--find", "--show", "--read-only", "--offset", str(offset),
                 "--sizelimit", str(size), image], check_rc=0).stdout.strip()
    try:
        yield dev
    finally:
        t.run(["losetup", "--detach", dev])


@contextlib.contextmanager
def ro_mount(dev):
    with tempfile.TemporaryDirectory(prefix="kvmr-guestfs-test-") as mnt:
        t.run(["mount", "-t", "xfs", "-o", "ro,norecovery,nouuid", dev, mnt], check_rc=0)
        try:
            yield mnt
        finally:
            t.run(["umount", mnt])


def lvm_report(loop, *args):
    p = t.run(["lvm", *args, "--readonly", "--config", LVM_CONFIG, "--devices", loop,
               "--noheadings", "--units", "b", "--nosuffix", "--separator", "|"], check_rc=0)
    return [[f.strip() for f in line.split("|")] for line in p.stdout.splitlines() if line.strip()]


def lv_extents(image):
    """"VG/LV" -> (byte offset in IMAGE, byte size) for every one-segment LV."""
    table = json.loads(t.run(["sfdisk", "--json", image], check_rc=0).stdout)["partitiontable"]
    sector = table.get("sectorsize", 512)
    out = {}
    for part in table["partitions"]:
        if part["type"].lower() not in LVM_PART_TYPES:
            continue
        start, size = part["start"] * sector, part["size"] * sector
        with ro_loop(image, start, size) as loop:
            pe_start = int(lvm_report(loop, "pvs", "-o", "pe_start", loop)[0][0])
            rows = lvm_report(loop, "lvs", "--segments", "-o",
                              "vg_name,lv_name,vg_extent_size,seg_size_pe,seg_pe_ranges")
        for vg, lv, ext, npe, ranges in rows:
            key = f"{vg}/{lv}"
            first_pe = int(ranges.rsplit(":", 1)[1].split("-")[0])
            if key in out:  # several segments: not reached this way
                out[key] = None
                continue
            out[key] = (start + pe_start + first_pe * int(ext), int(npe) * int(ext))
    return out


def kernel_hashes(image, root_lv, images_lv):
    """The files' SHA-256 read through kernel read-only mounts."""
    lvs = lv_extents(image)
    got = {}
    off, size = lvs[root_lv]
    with ro_loop(image, off, size) as loop, ro_mount(loop) as root:
        for p in HOST_FILES:
            got[p] = t.file_sha256(root + p)
        for x in sorted(glob.glob(root + XML_DIR + "/*.xml")):
            got[x[len(root):]] = t.file_sha256(x)
        if images_lv is None:
            for name in IMAGE_FILES:
                got[f"{IMAGES}/{name}"] = t.file_sha256(f"{root}{IMAGES}/{name}")
    if images_lv is not None:
        off, size = lvs[images_lv]
        with ro_loop(image, off, size) as loop, ro_mount(loop) as images:
            for name in IMAGE_FILES:
                got[f"{IMAGES}/{name}"] = t.file_sha256(f"{images}/{name}")
    return got


MARKER = "/etc/kvmr-dirty-marker"
MARKER_TEXT = b"only in the log\n"


def make_dirty_copy(src, dst, root_lv):
    """A sparse copy of SRC whose root XFS has a dirty log holding MARKER."""
    t.run(["cp", "--sparse=always", src, dst], check_rc=0)
    off, size = root_lv
    dev = t.run(["losetup", "--find", "--show", "--offset", str(off), "--sizelimit", str(size),
                 dst], check_rc=0).stdout.strip()
    try:
        with tempfile.TemporaryDirectory(prefix="kvmr-guestfs-dirty-") as mnt:
            t.run(["mount", "-t", "xfs", "-o", "nouuid", dev, mnt], check_rc=0)
            try:
                with open(mnt + MARKER, "wb") as f:
                    f.write(MARKER_TEXT)
                    f.flush()
                    os.fsync(f.fileno())
                t.run(["xfs_io", "-x", "-c", "shutdown -f", mnt], check_rc=0)
            finally:
                t.run(["umount", mnt])
    finally:
        t.run(["losetup", "--detach", dev])


def marker_without_replay(image, root_lv):
    with ro_loop(image, *root_lv) as loop, ro_mount(loop) as root:
        return os.path.exists(root + MARKER)


def start_dump(dump, image, log, paths=None):
    paths = paths or [XML_DIR, *HOST_FILES, "/etc/redhat-release", IMAGES]
    return subprocess.Popen([dump, "--log", log, image, "--", *paths], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=t.guestfs_env())


def finish_dump(proc):
    """(returncode, stdout, stderr, seconds) of a guestfs_dump started before."""
    try:
        out, err = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\n(killed after 600 s)"
    return proc.returncode, out, err


def check_fixture(c, name, doc, want, images_lv):
    c.eq(f"{name}: root device", doc["root_device"], "/dev/centos/root")
    mounts = {m["mountpoint"]: m for m in doc["mounts"]}
    c.eq(f"{name}: / state", mounts.get("/", {}).get("state"), "mounted")
    c.eq(f"{name}: /boot device", mounts.get("/boot", {}).get("device"), "/dev/sda3")
    c.eq(f"{name}: /boot state", mounts.get("/boot", {}).get("state"), "mounted")
    c.true(f"{name}: /boot/efi reported", "/boot/efi" in mounts, str(sorted(mounts)))
    c.eq(f"{name}: swap skipped", mounts.get("swap", {}).get("state"), "skipped")
    for m in doc["mounts"]:
        c.true(f"{name}: {m['mountpoint']} mounted read-only", m["state"] != "mounted"
               or m["options"].split(",")[0] == "ro", m["options"])
        if m["state"] != "mounted":
            print(f"{name}: {m['spec']} on {m['mountpoint']}: {m['state']}: {m['reason']}")
    if images_lv:
        c.eq(f"{name}: {IMAGES} device", mounts.get(IMAGES, {}).get("device"), "/dev/vmdata/images")
        c.eq(f"{name}: {IMAGES} state", mounts.get(IMAGES, {}).get("state"), "mounted")
    fss = {f["device"]: f for f in doc["filesystems"]}
    c.eq(f"{name}: root LV type", fss.get("/dev/centos/root", {}).get("type"), "xfs")
    c.eq(f"{name}: swap LV type", fss.get("/dev/centos/swap", {}).get("type"), "swap")
    files = doc["files"]
    xml = sorted(p for p in want if p.startswith(XML_DIR + "/"))
    c.true(f"{name}: kernel sees domain XML", len(xml) >= 3, str(xml))
    c.eq(f"{name}: XML names", sorted(p for p in files if p.startswith(XML_DIR + "/")
                                      and p.endswith(".xml")), xml)
    for path, digest in sorted(want.items()):
        got = (files.get(path) or {}).get("sha256")
        c.eq(f"{name}: sha256 {path}", got, digest)
    c.eq(f"{name}: /etc/redhat-release", (files.get("/etc/redhat-release") or {}).get("target"),
         "centos-release")
    c.eq(f"{name}: hostname", doc["hostname"], t.fixture_ids()["HOSTNAME"] + "\n")
    c.true(f"{name}: read_file size limit", "more than the 16" in doc["read_file_limit"],
           doc["read_file_limit"])
    c.eq(f"{name}: missing path", doc["missing_path"], "absent")


def main():
    t.require_root_and_loop()
    t.require_tools("losetup", "mount", "umount", "lvm", "sfdisk", "xfs_io")
    dump = t.env_path("KVMR_GUESTFS_DUMP")
    cases = [("story", None), ("images-vg", "vmdata/images")]
    images = {n: t.fixture(f"{n}.img") for n, _ in cases}
    before = {n: t.sha256(p) for n, p in images.items()}
    c = t.Checker()
    with tempfile.TemporaryDirectory() as tmp, t.SystemState(tmp) as state:
        dirty = os.path.join(tmp, "dirty.img")
        dirty_root = lv_extents(images["story"])["centos/root"]
        make_dirty_copy(images["story"], dirty, dirty_root)
        dirty_before = t.sha256(dirty)
        # The appliances boot at once: a launch is mostly waiting on TCG.
        started = time.monotonic()
        procs = {n: start_dump(dump, images[n], os.path.join(tmp, f"{n}.log")) for n, _ in cases}
        procs["dirty"] = start_dump(dump, dirty, os.path.join(tmp, "dirty.log"), [MARKER])
        results = {n: finish_dump(proc) for n, proc in procs.items()}
        print(f"guestfs_dump on {len(procs)} images in parallel: "
              f"{time.monotonic() - started:.1f} s")
        for name, images_lv in cases:
            rc, out, err = results[name]
            if rc == 2:
                t.skip_unless_appliance_launches(dump, tmp,
                                                 "not one over the fixture: " + err.strip())
            if rc != 0:
                with open(os.path.join(tmp, f"{name}.log"), encoding="utf-8",
                          errors="replace") as f:
                    print("".join(f.readlines()[-40:]))
                c.eq(f"{name}: guestfs_dump exit code ({err.strip()})", rc, 0)
                continue
            doc = json.loads(out)
            tm = doc["timings"]
            print(f"{name}: open {tm['open_s']:.1f} s, files {tm['files_s']:.1f} s, "
                  f"close {tm['close_s']:.1f} s")
            started = time.monotonic()
            want = kernel_hashes(images[name], "centos/root", images_lv)
            print(f"{name}: kernel mounts {time.monotonic() - started:.1f} s, {len(want)} files")
            check_fixture(c, name, doc, want, images_lv)
            state.check()
        rc, out, err = results["dirty"]
        c.eq(f"dirty log: guestfs_dump exit code ({err.strip()})", rc, 0)
        if rc == 0:
            doc = json.loads(out)
            root = doc["mounts"][0]
            c.eq("dirty log: root mounted", (root["mountpoint"], root["state"]), ("/", "mounted"))
            c.eq("dirty log: replayed into the overlay (plain ro)", root["options"], "ro")
            c.eq("dirty log: marker seen through libguestfs",
                 (doc["files"].get(MARKER) or {}).get("sha256"),
                 hashlib.sha256(MARKER_TEXT).hexdigest())
        c.true("dirty log: a kernel ro,norecovery mount does not see the marker",
               not marker_without_replay(dirty, dirty_root))
        c.eq("dirty copy unchanged", t.sha256(dirty), dirty_before)
        state.check()
    for n, p in images.items():
        c.eq(f"{n}.img unchanged", t.sha256(p), before[n])
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
