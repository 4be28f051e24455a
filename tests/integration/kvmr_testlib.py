"""Shared helpers of the integration tests (root tier).

Each test script is one ctest test. A script that cannot run here (not
root, no loop devices, a tool missing) prints "SKIP: <why>" and exits 77,
which ctest reports as skipped: never a silent pass.
"""
import contextlib
import hashlib
import json
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import unicodedata

SKIP = 77


def skip(why):
    print(f"SKIP: {why}", flush=True)
    sys.exit(SKIP)


def require_root_and_loop():
    if os.geteuid() != 0:
        skip("needs root (loop devices, mounts); run scripts/test as root")
    if not os.path.exists("/dev/loop-control"):
        skip("no /dev/loop-control: this kernel has no loop devices")


def require_tools(*names):
    for n in names:
        if shutil.which(n) is None:
            skip(f"{n} is not installed (scripts/setup installs it)")


def env_path(name):
    """Paths handed over by CMake through the environment."""
    v = os.environ.get(name)
    if not v:
        sys.exit(f"environment variable {name} is not set (run through ctest)")
    return v


def fixture(name):
    """$KVMR_FIXTURES/NAME. ctest builds the fixtures first
    (integration.fixtures), so a missing one is a failure, never a skip."""
    path = os.path.join(env_path("KVMR_FIXTURES"), name)
    if not os.path.exists(path):
        sys.exit(f"fixture {path} is missing (run through ctest: integration.fixtures)")
    return path


def fixture_ids():
    """scripts/fixture-ids.env: the UUIDs and names make-fixture writes."""
    return read_ids(os.path.join(env_path("KVMR_SOURCE_DIR"), "scripts", "fixture-ids.env"))


def device_mapper_registered():
    """Whether this kernel has device-mapper (the build machine has none)."""
    with open("/proc/devices", encoding="utf-8") as f:
        return any("device-mapper" in line for line in f)


_GRAIN = 64 << 10
_ZEROS = bytes(_GRAIN)


def sha256(path, mtime=True):
    """SHA-256 of a file's content that says whether it was written.

    Only data extents are read (SEEK_DATA/SEEK_HOLE), so a sparse 4 GiB
    image hashes in a blink. What enters the hash does not depend on where
    the filesystem reports extents: each 64 KiB block (at a fixed grid) that
    is not all zeros, with its offset. That matters because ext4 and XFS
    report an unwritten (preallocated or zeroed) extent as a hole while
    none of its pages is cached and as data once something read it, so the
    extent map of an untouched file changes with the page cache. (A loop
    device turns a discard or write-zeroes into such extents: mkfs.xfs
    leaves one over its log.)

    With MTIME (the default) a regular file's st_mtime_ns is hashed too:
    any write through the file, a loop device over it or fallocate sets
    it, so even zeros written into a hole change the result. Reading does
    not. Pass mtime=False to compare the content of two different files.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        fd = f.fileno()
        st = os.fstat(fd)
        size = st.st_size if stat.S_ISREG(st.st_mode) else os.lseek(fd, 0, os.SEEK_END)
        h.update(f"size={size};".encode())
        if mtime and stat.S_ISREG(st.st_mode):
            h.update(f"mtime={st.st_mtime_ns};".encode())
        off = done = 0
        while off < size:
            try:
                start = os.lseek(fd, off, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after OFF
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            pos = max(start - start % _GRAIN, done)
            stop = min(size, -(-end // _GRAIN) * _GRAIN)
            while pos < stop:
                b = os.pread(fd, min(stop - pos, 16 * _GRAIN), pos)
                if not b:
                    break
                for i in range(0, len(b), _GRAIN):
                    block = b[i:i + _GRAIN]
                    if block != _ZEROS[:len(block)]:
                        h.update(f"{pos + i}:{len(block)};".encode())
                        h.update(block)
                pos += len(b)
            done = max(done, pos)
            off = max(end, pos)
    return h.hexdigest()


def file_sha256(path):
    """Plain SHA-256 of a file's content, as sha256sum prints it."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pattern_sha256(size, writes):
    """SHA-256 of a SIZE-byte file that is zero except the (byte, off, len)
    WRITES: the pattern images scripts/make-fixture writes."""
    h = hashlib.sha256()
    pos = 0
    for byte, off, length in sorted(writes, key=lambda w: w[1]):
        h.update(bytes(off - pos))
        h.update(bytes([byte]) * length)
        pos = off + length
    h.update(bytes(size - pos))
    return h.hexdigest()


def xfs_extents(path):
    """(file offset, device offset, length) in bytes of PATH on XFS, from
    xfs_bmap -v (its units are 512-byte sectors)."""
    out = run(["xfs_bmap", "-v", path], check_rc=0).stdout
    ext = []
    for line in out.splitlines():
        m = re.match(r"\s*\d+: \[(\d+)\.\.(\d+)\]:\s+(\d+)\.\.(\d+)", line)
        if m:
            f0, f1, d0, _ = (int(x) for x in m.groups())
            ext.append((f0 * 512, d0 * 512, (f1 - f0 + 1) * 512))
    return ext


def read_ids(path):
    ids = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                ids[k] = v
    return ids


def loop_devices():
    """Loop devices and what they are attached to, from sysfs."""
    out = {}
    for name in sorted(os.listdir("/sys/block")):
        if not name.startswith("loop"):
            continue
        try:
            with open(f"/sys/block/{name}/loop/backing_file", encoding="utf-8") as f:
                out[name] = f.read().strip()
        except OSError:
            pass
    return out


def mounts():
    with open("/proc/self/mounts", encoding="utf-8") as f:
        return sorted(line.split()[1] for line in f)


def mount_sources():
    """Mount point -> mounted device, from /proc/self/mounts."""
    with open("/proc/self/mounts", encoding="utf-8") as f:
        return {line.split()[1]: line.split()[0] for line in f}


class SystemState:
    """Loop devices and mounts before and after: nothing this test attached
    may be left. Other loop devices and mounts may come and go on the
    machine meanwhile (another checkout's tests, the user's own), so only
    those over files under OWNED directories count: this build's tree (the
    fixtures' parent) and any directory the test names."""

    def __init__(self, *owned):
        self.owned = [os.path.realpath(d) for d in owned]
        fixtures = os.environ.get("KVMR_FIXTURES")
        if fixtures:
            self.owned.append(os.path.realpath(os.path.dirname(fixtures)))

    def _ours(self, backing):
        real = os.path.realpath(backing.removesuffix(" (deleted)"))
        return any(real == d or real.startswith(d + "/") for d in self.owned)

    def __enter__(self):
        self.loops = loop_devices()
        self.mounts = mount_sources()
        return self

    def __exit__(self, *exc):
        self.check()
        return False

    def check(self):
        now = loop_devices()
        new_loops = {k: v for k, v in now.items()
                     if self.loops.get(k) != v and self._ours(v)}
        ours = {f"/dev/{k}" for k, v in {**self.loops, **now}.items() if self._ours(v)}
        new_mounts = sorted(m for m, dev in mount_sources().items()
                            if m not in self.mounts and (dev in ours or self._ours(m)))
        assert not new_loops, f"loop devices left attached: {new_loops}"
        assert not new_mounts, f"mounts left behind: {new_mounts}"


class LoopFs:
    """A fresh filesystem (FSTYPE, SIZE bytes) in WORK/NAME.FSTYPE on a loop
    device, mounted at WORK/NAME; unmounted and detached on exit. mount()
    and umount() in between (a mount replays the log after a shutdown)."""

    def __init__(self, work, name, fstype="xfs", size=1 << 30):
        self.image = os.path.join(work, f"{name}.{fstype}")
        self.mnt = os.path.join(work, name)
        self.fstype, self.size = fstype, size
        self.loop = None
        self.mounted = False

    def __enter__(self):
        with open(self.image, "wb") as f:
            f.truncate(self.size)
        run([f"mkfs.{self.fstype}", "-q", *(["-F"] if self.fstype.startswith("ext") else []),
             self.image], check_rc=0)
        os.makedirs(self.mnt, exist_ok=True)
        self.loop = run(["losetup", "-f", "--show", self.image], check_rc=0).stdout.strip()
        try:
            self.mount()
        except BaseException:
            run(["losetup", "-d", self.loop])
            raise
        return self

    def mount(self):
        run(["mount", self.loop, self.mnt], check_rc=0)
        self.mounted = True

    def umount(self):
        self.mounted = False
        run(["umount", self.mnt], check_rc=0)

    def __exit__(self, *exc):
        if self.mounted:
            run(["umount", self.mnt])
        run(["losetup", "-d", self.loop])
        return False


def wait_for(cond, what, seconds=20):
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def require_fuse_eio():
    """fuse_eio_file (test-only: a file served through FUSE with a range
    that fails with EIO), or a skip when this machine cannot run it."""
    if not os.path.exists("/dev/fuse"):
        skip("no /dev/fuse: this kernel or container has no FUSE")
    fuse_bin = os.environ.get("KVMR_FUSE_EIO", "")
    if not fuse_bin:
        skip("fuse_eio_file was not built: libfuse3-dev is missing (scripts/setup)")
    require_tools("losetup", "fusermount3")
    return fuse_bin


@contextlib.contextmanager
def cleanup_steps():
    """A list to append undo steps to (unmount, detach, stop a server); on
    exit they run last first, also when the test failed, and a step that
    fails is printed while the others still run. A step can be run early
    with steps.pop()()."""
    steps = []
    try:
        yield steps
    finally:
        for step in reversed(steps):
            try:
                step()
            except Exception as e:  # noqa: BLE001: report, keep cleaning
                print(f"cleanup failed: {e}")


def serve_with_eio(fuse_bin, image, offset, length, where, undo):
    """IMAGE served read-only at WHERE/disk by fuse_eio_file (test-only),
    reads that touch [OFFSET, OFFSET+LENGTH) failing with EIO, as from a
    disk with unreadable sectors. WHERE is made; the step that unmounts it
    and stops the server is appended to UNDO. Returns WHERE/disk."""
    os.mkdir(where)
    server = subprocess.Popen(
        [fuse_bin, image, str(offset), str(length), where, "-f", "-o", "ro,fsname=kvmr-eio"],
        stderr=subprocess.PIPE, text=True)

    def stop_server():
        if os.path.ismount(where):
            run(["fusermount3", "-u", where])
        try:
            _, err = server.communicate(timeout=20)
            print(err.strip())
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
    undo.append(stop_server)
    wait_for(lambda: os.path.ismount(where) or server.poll() is not None, "the FUSE mount")
    if server.poll() is not None:
        raise AssertionError(f"fuse_eio_file exited {server.returncode}")
    return os.path.join(where, "disk")


def _supermin_kernel():
    """(version, vmlinuz) of the newest /boot/vmlinuz-V with /lib/modules/V,
    the kernel supermin picks; None when there is none."""
    try:
        found = [n[len("vmlinuz-"):] for n in os.listdir("/boot") if n.startswith("vmlinuz-")]
    except OSError:
        return None
    found = [v for v in found if os.path.isdir(f"/lib/modules/{v}")]
    if not found:
        return None
    key = [tuple(int(x) for x in re.findall(r"\d+", v)) for v in found]
    version = max(zip(key, found))[1]
    return version, f"/boot/vmlinuz-{version}"


def _boots_through_pvh(elf):
    """Whether ELF (a vmlinux) carries the PVH entry note (Xen, type 18)
    that qemu needs to boot an uncompressed kernel."""
    if elf[:5] != b"\x7fELF\x02":
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        ptype, _, off, _, _, size = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        pos = off
        while ptype == 4 and pos + 12 <= off + size:  # PT_NOTE
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            if elf[pos + 12:pos + 12 + namesz] == b"Xen\x00" and ntype == 18:
                return True
            pos += 12 + -(-namesz // 4) * 4 + -(-descsz // 4) * 4
    return False


def appliance_env(env):
    """ENV (a dict) with the tests' own supermin appliance: its kernel
    decompressed once (xz under TCG costs each launch about 7 s; an ELF
    vmlinux boots straight through PVH) and the appliance built from it in
    the build tree, beside the fixtures (LIBGUESTFS_CACHEDIR). Same kernel,
    modules and packages as the default appliance. Left as it is when the
    caller chose a kernel, cache or fixed appliance, or the kernel is not
    xz-compressed or cannot boot uncompressed (no PVH note)."""
    fixtures = env.get("KVMR_FIXTURES")
    if not fixtures or any(k in env for k in ("SUPERMIN_KERNEL", "LIBGUESTFS_CACHEDIR",
                                               "LIBGUESTFS_PATH")):
        return env
    kernel = _supermin_kernel()
    if kernel is None:
        return env
    version, vmlinuz = kernel
    cache = os.path.join(os.path.dirname(os.path.realpath(fixtures)), "guestfs-cache")
    vmlinux = os.path.join(cache, f"vmlinux-{version}")
    if not os.path.exists(vmlinux) or os.path.getmtime(vmlinux) < os.path.getmtime(vmlinuz):
        try:
            with open(vmlinuz, "rb") as f:
                data = f.read()
            at = data.find(b"\xfd7zXZ\x00")
            elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[at:])
        except (OSError, lzma.LZMAError):
            return env
        if at < 0 or not _boots_through_pvh(elf):
            return env
        os.makedirs(cache, exist_ok=True)
        with open(vmlinux + ".tmp", "wb") as f:
            f.write(elf)
        os.rename(vmlinux + ".tmp", vmlinux)
    env.update(LIBGUESTFS_CACHEDIR=cache, SUPERMIN_KERNEL=vmlinux,
               SUPERMIN_KERNEL_VERSION=version, SUPERMIN_MODULES=f"/lib/modules/{version}")
    return env


def guestfs_env():
    """The environment for a libguestfs appliance: the direct backend and
    TCG unless the caller set otherwise (a /dev/kvm that exists but does
    not work, as under nested virtualisation, makes every launch fail);
    the tests' own appliance (appliance_env)."""
    env = appliance_env(dict(os.environ))
    env.setdefault("LIBGUESTFS_BACKEND", "direct")
    env.setdefault("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
    return env


def log_tail(path, lines):
    """The last LINES lines of the log at PATH ([] when there is none)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n") for line in f.readlines()[-lines:]]
    except OSError:
        return []


def skip_unless_appliance_launches(driver, tmp, failure):
    """Called when the test's appliance did not start (FAILURE says how).
    DRIVER --launch-only starts one over a blank drive: when that works,
    the machine can run an appliance and the test fails; when it does not
    either, the machine lacks what libguestfs needs and the test skips
    with libguestfs' own error."""
    log = os.path.join(tmp, "launch-only.log")
    p = subprocess.run([driver, "--launch-only", "--log", log], capture_output=True, text=True,
                       env=guestfs_env(), timeout=600, check=False)
    if p.returncode == 0:
        raise AssertionError(f"an appliance over a blank drive launches, but {failure}")
    for line in log_tail(log, 5):
        print(f"  {line}")
    error = (p.stderr.strip().splitlines() or ["(no message)"])[0]
    skip(f"libguestfs cannot launch an appliance here: {error} (its last messages are above; "
         "supermin needs a kernel: linux-image-amd64, or SUPERMIN_KERNEL and "
         "SUPERMIN_MODULES; a /dev/kvm that does not work needs "
         "LIBGUESTFS_BACKEND_SETTINGS=force_tcg; see LIBGUESTFS_DEBUG=1 libguestfs-test-tool)")


class Background:
    """ARGV started now, its output kept in temporary files (a pipe nobody
    reads yet could stall it); wait() returns what run() would have. For a
    libguestfs appliance, which keeps one core busy under TCG while ctest
    runs the integration tests one at a time: the test's other work goes on
    meanwhile. Leaving the with block stops it if it is still running (the
    test failed before waiting)."""

    def __init__(self, argv, timeout=900, **kw):
        self.argv, self.timeout = argv, timeout
        self.out, self.err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=self.err, **kw)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()
        return False

    def wait(self):
        note = ""
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            note = f"\n(killed after {self.timeout} s)"
        texts = []
        for f in (self.out, self.err):
            f.seek(0)
            texts.append(f.read().decode(errors="replace"))
        return subprocess.CompletedProcess(self.argv, self.proc.returncode, texts[0],
                                           texts[1] + note)


def run(argv, check_rc=None, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    if check_rc is not None and p.returncode != check_rc:
        raise AssertionError(
            f"{argv} exited {p.returncode}, expected {check_rc}\n"
            f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def probe_json(binary, *paths, rc=0):
    p = run([binary, "probe", "--json", *paths], check_rc=rc)
    doc = json.loads(p.stdout)
    assert doc["schema_version"] == 1, doc.get("schema_version")
    assert doc["kind"] == "kvm-rescue.probe"
    return doc, p


def validate(doc, schema_name):
    """Validates DOC against docs/schemas/SCHEMA_NAME; raises on mismatch."""
    import jsonschema  # Debian's python3-jsonschema, from scripts/setup
    path = os.path.join(env_path("KVMR_SOURCE_DIR"), "docs", "schemas", schema_name)
    with open(path, encoding="utf-8") as f:
        jsonschema.validate(doc, json.load(f))


def columns(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class Checker:
    """Collects failed expectations so one run reports all of them."""

    def __init__(self):
        self.failures = []
        self.skipped = []
        self.passed = 0

    def eq(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failures.append(f"{what}: got {got!r}, want {want!r}")

    def true(self, what, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failures.append(f"{what} {detail}".rstrip())

    def skip(self, what, why):
        """A check this machine cannot make (it lacks WHY), never one whose
        outcome the code under test decides. Printed at once and counted
        in the summary line; the test still passes or fails on the rest."""
        print(f"SKIP: {what}: {why}", flush=True)
        self.skipped.append(f"{what}: {why}")

    def finish(self):
        for f in self.failures:
            print(f"FAIL: {f}")
        for s in self.skipped:
            print(f"SKIPPED: {s}")
        print(f"{self.passed} passed, {len(self.failures)} failed, {len(self.skipped)} skipped "
              "(not checked on this machine)" if self.skipped else
              f"{self.passed} passed, {len(self.failures)} failed")
        sys.exit(1 if self.failures else 0)
