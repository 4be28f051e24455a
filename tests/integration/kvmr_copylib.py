"""Shared helpers of the copy tests (copy_*_test.py, wizard_test.py,
qcow2_bad_sector_test.py, tests/e2e/iso_test.py): run `kvm-rescue rescue`
onto a fresh image, interrupt it mid-copy, and check what it left on the
target against the source tree (hashes, sparseness, schemas, XML).

A copy test is a set of cases, each a function (c, binary, fixtures, work);
run_cases() runs them in one scratch directory and checks after each that
nothing it attached stayed (SystemState).
"""
import glob
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

MiB = 1 << 20
# What every copy test needs besides the binary (each case adds its own).
TOOLS = ("sfdisk", "losetup", "mount", "qemu-img", "virt-xml-validate", "mkfs.xfs")


def new_image(path, size):
    """A sparse SIZE-byte image file: a blank new disk."""
    with open(path, "wb") as f:
        f.truncate(size)


class Mounted:
    """The data partition (label KVMR-IMAGES) of a prepared image, read-only."""

    def __init__(self, binary, image, where):
        self.binary, self.image, self.where = binary, image, where
        self.loop = None

    def __enter__(self):
        doc, _ = t.probe_json(self.binary, "--no-smart", self.image)
        parts = doc["disks"][0]["partition_table"]["partitions"]
        data = [p for p in parts if p["filesystem"]["label"] == "KVMR-IMAGES"]
        assert len(data) == 1, f"no single KVMR-IMAGES partition in {parts}"
        self.partitions = parts
        p = data[0]
        self.loop = t.run(["losetup", "-f", "--show", "-r", "-o", str(p["start"]),
                           "--sizelimit", str(p["size"]), self.image],
                          check_rc=0).stdout.strip()
        os.makedirs(self.where, exist_ok=True)
        t.run(["mount", "-o", "ro", self.loop, self.where], check_rc=0)
        return self

    def __exit__(self, *exc):
        t.run(["umount", self.where])
        if self.loop:
            t.run(["losetup", "-d", self.loop])
        return False


class SourceTree:
    """The old host read-only through kvm-rescue mount-ro."""

    def __init__(self, binary, image, where):
        self.binary, self.image, self.where = binary, image, where

    def __enter__(self):
        os.makedirs(self.where, exist_ok=True)
        t.run([self.binary, "mount-ro", self.image, self.where], check_rc=0)
        return self.where

    def __exit__(self, *exc):
        t.run([self.binary, "umount", self.where], check_rc=0)
        return False


def rescue(binary, source, target, *extra, confirm=True, **kw):
    argv = [binary, "rescue", source, "--target", target, *extra]
    if confirm:
        argv += ["--confirm-wipe", target]
    return t.run(argv, **kw)


def exit_code_is(c, what, p, want=0):
    """Checks P's exit code; a wrong one also prints the end of its output.
    Returns whether it was WANT (the caller stops there when not)."""
    c.eq(what, p.returncode, want)
    if p.returncode != want:
        print(p.stdout[-3000:], p.stderr[-3000:])
    return p.returncode == want


def continued(rep):
    """Whether the report says the run continued an earlier one."""
    return any("continued" in w for w in rep["warnings"])


def load(path):
    """A JSON file (the manifest, report or plan on a target)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def allocated(path):
    """Bytes PATH takes on disk."""
    return os.stat(path).st_blocks * 512


def check_copy(c, name, binary, source, target, work, extra_checks=None):
    """The data partition of TARGET against SOURCE's tree; returns the manifest."""
    tgt = os.path.join(work, f"{name}-target")
    src = os.path.join(work, f"{name}-source")
    with Mounted(binary, target, tgt) as m, SourceTree(binary, source, src) as tree:
        man = load(os.path.join(tgt, "kvm-rescue/manifest.json"))
        rep = load(os.path.join(tgt, "kvm-rescue/report.json"))
        for doc, schema in ((man, "manifest.schema.json"), (rep, "report.schema.json")):
            try:
                t.validate(doc, schema)
                c.true(f"{name}: {schema} validates", True)
            except Exception as e:  # noqa: BLE001
                c.true(f"{name}: {schema} validates", False, str(e)[:400])
        c.true(f"{name}: report.txt written",
               os.path.getsize(os.path.join(tgt, "kvm-rescue/report.txt")) > 0)
        c.true(f"{name}: plan.json on the target",
               os.path.isfile(os.path.join(tgt, "kvm-rescue/plan.json")))
        c.true(f"{name}: manifest complete", man["complete"])
        leftovers = glob.glob(os.path.join(tgt, "**/*.partial"), recursive=True)
        c.eq(f"{name}: no .partial left", leftovers, [])
        apparent = alloc = 0
        for it in man["items"]:
            dest = os.path.join(tgt, it["dest"])
            c.true(f"{name}: {it['dest']} copied", it["status"] == "copied", it["error"])
            c.true(f"{name}: {it['dest']} present", os.path.isfile(dest))
            if not os.path.isfile(dest):
                continue
            if it["secret"]:
                c.eq(f"{name}: {it['dest']} mode", stat.S_IMODE(os.stat(dest).st_mode), 0o600)
            if it["kind"] == "image":
                source_file = os.path.join(tree, it["source"].lstrip("/"))
                if it["backing_rewrite"]:
                    continue  # the header changed on purpose
                c.eq(f"{name}: {it['dest']} sha256", t.file_sha256(dest),
                     t.file_sha256(source_file))
                apparent += os.path.getsize(dest)
                alloc += allocated(dest)
                c.true(f"{name}: {it['dest']} allocation within 1 MiB of the source's",
                       abs(allocated(dest) - allocated(source_file)) <= MiB,
                       f"{allocated(dest)} vs {allocated(source_file)}")
            if it["kind"] in ("nvram", "host_file", "secret_value") or (
                    it["kind"].endswith("_xml") and not it["original_dest"]):
                source_file = os.path.join(tree, it["source"].lstrip("/"))
                c.eq(f"{name}: {it['dest']} content", t.file_sha256(dest),
                     t.file_sha256(source_file))
            if it["kind"] == "domain_xml":
                p = t.run(["virt-xml-validate", dest, "domain"])
                c.true(f"{name}: {it['dest']} validates", p.returncode == 0,
                       p.stdout + p.stderr)
                c.eq(f"{name}: {it['dest']} validation recorded",
                     it["xml_validation"]["state"], "ok")
            if it["original_dest"]:
                orig = os.path.join(tgt, it["original_dest"])
                c.eq(f"{name}: {it['original_dest']} is the unmodified file",
                     t.file_sha256(orig),
                     t.file_sha256(os.path.join(tree, it["source"].lstrip("/"))))
        if apparent:
            c.true(f"{name}: copies stay sparse", alloc * 4 < apparent,
                   f"allocated {alloc} of {apparent}")
        if extra_checks:
            extra_checks(tgt, man, rep, tree)
        return man, rep, m.partitions


def mid_copy(argv, action, nth=1):
    """Runs ARGV (a rescue) and calls ACTION(proc) 1.5 s after the NTH image
    began to copy (its "SOURCE -> DEST" line on stderr); returns (rc,
    output, that image's dest). ACTION returns False when it could not act:
    the run is then interrupted (it cleans up) and the caller fails."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    dest = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if " -> " in line and (".img" in line.split(" -> ")[-1] or ".qcow2" in line):
            nth -= 1
            if nth > 0:
                continue
            dest = line.split(" -> ")[-1].strip()
            time.sleep(1.5)
            if not action(proc):
                proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=300)
    return proc.returncode, "".join(seen) + out + err, dest


def signal_mid_copy(argv, sig):
    """Runs ARGV (a rescue), sends SIG once an image is being copied;
    returns (rc, output)."""
    rc, seen, _ = mid_copy(argv, lambda proc: proc.send_signal(sig) or True)
    return rc, seen


def run_cases(cases, tools=()):
    """Runs CASES ({key: case function}) in a scratch directory beside the
    fixtures, each checked for anything left attached; KVMR_COPY_CASES
    (keys) picks some. Exits with the Checker's verdict."""
    t.require_root_and_loop()
    t.require_tools(*TOOLS, *tools)
    binary = t.env_path("KVMR_BIN")
    fixtures = t.env_path("KVMR_FIXTURES")
    t.fixture("story.img")
    c = t.Checker()
    only = os.environ.get("KVMR_COPY_CASES", "".join(cases))
    work = tempfile.mkdtemp(prefix="copy-test.", dir=os.path.dirname(fixtures))
    try:
        for key, fn in cases.items():
            if key not in only:
                continue
            started = time.monotonic()
            with t.SystemState(work) as state:
                try:
                    fn(c, binary, fixtures, work)
                except AssertionError as e:
                    c.true(f"{key}: ran", False, str(e)[:2000])
                state.check()
            c.true(f"{key}: nothing left attached", True)
            print(f"case {key}: {time.monotonic() - started:.1f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()
