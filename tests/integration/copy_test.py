#!/usr/bin/env python3
"""kvm-rescue rescue / copy on the fixtures, onto fresh image targets:

(a) story.img onto a new 4 GiB image: exit 0; every image file on the new
    data partition has the source file's SHA-256, NVRAM and payload are
    there, payload domain XML validates, manifest and report validate
    against their schemas, secrets are 0600, copies stay sparse, no
    kickstart yet, the source image unchanged;
(b) no --confirm-wipe: exit 2, target untouched;
(c) a target that is a copy of the source: refused naming a UUID;
(d) a 64 MiB target: refused (too small);
(e) block-vm.img: db01's LV becomes lv/centos-db01.img with the LV's bytes
    and its domain XML says type='file' and validates;
(f) hostile names survive (file names, XML);
(g) Ctrl-C half-way (--max-rate slows the read): exit 130, nothing left
    attached, a rerun completes and says it resumed;
(h) copy --plan on a source whose identity changed: exit 2 naming it;
(i) a directory target (a mounted XFS loop filesystem): copied in place,
    nothing prepared, a rerun keeps every item;
(j) broken-vms.img: the VMs that cannot be taken whole are skipped with
    their reasons in the report, the others copied;
(k) story.img read through the libguestfs appliance (--backend guestfs):
    the same hashes and sparse copies as (a);
(l) SIGKILL mid-copy: loop devices are left (nothing can run), the next
    run releases them and continues the copy to the same hashes.
(m) a block device (a loop device over a blank image) as the target.
(n) the target gives out mid-copy (its XFS shut down with xfs_io, as the
    kernel does when a disk vanishes or fails): exit 3 naming the target
    and saying to rerun, no further item tried, nothing left attached, no
    file under its final name that differs from the source; a prepared
    target: the rerun completes to the source's hashes; a directory target:
    the same after it is mounted again.
Nothing may stay attached after any case (SystemState).
"""
import glob
import hashlib
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


def pattern_sha256(size, writes):
    """SHA-256 of a SIZE-byte file that is zero except the (byte, off, len) WRITES."""
    h = hashlib.sha256()
    pos = 0
    for byte, off, length in sorted(writes, key=lambda w: w[1]):
        h.update(bytes(off - pos))
        h.update(bytes([byte]) * length)
        pos = off + length
    h.update(bytes(size - pos))
    return h.hexdigest()


def new_image(path, size):
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


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def allocated(path):
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


def case_story(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "new.img")
    new_image(target, 4 << 30)
    before = t.sha256(story)
    p = rescue(binary, story, target)
    c.eq("a: rescue exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return
    c.true("a: summary printed", "Virtual machines:" in p.stdout, p.stdout[-2000:])

    def extra(tgt, man, rep, tree):
        kinds = {i["kind"] for i in man["items"]}
        for k in ("image", "nvram", "domain_xml"):
            c.true(f"a: items of kind {k}", k in kinds, str(sorted(kinds)))
        c.true("a: every VM copied",
               all(v["status"] in ("copied", "skipped") for v in rep["vms"]), str(rep["vms"]))
        c.eq("a: report exit code", rep["exit_code"], 0)
        # The copy's private mount point is gone after the run: the plan
        # the report sends the user to must not be under it.
        c.true("a: the report names a plan that outlives the run",
               "/run/kvm-rescue" not in rep["plan"] and
               all("/run/kvm-rescue" not in s for s in rep["next_steps"]), rep["next_steps"])
    _, _, parts = check_copy(c, "a", binary, story, target, work, extra)
    oem = [q for q in parts if q["filesystem"]["label"] == "OEMDRV"]
    c.eq("a: one OEMDRV partition", len(oem), 1)
    if oem and shutil.which("mdir"):
        p = t.run(["mdir", "-b", "-i", f"{target}@@{oem[0]['start']}", "::/"])
        c.true("a: no kickstart yet", "ks.cfg" not in p.stdout.lower(), p.stdout)
    c.eq("a: source unchanged", t.sha256(story), before)
    # A rerun continues a prepared target only when nothing refuses it:
    # with another loop device over it (in use), it is not mounted at all.
    loop = t.run(["losetup", "-r", "-f", "--show", target], check_rc=0).stdout.strip()
    try:
        held = t.sha256(target)
        p = rescue(binary, story, target)
        c.eq("a: rerun on a target in use: refused", p.returncode, 2)
        c.true("a: rerun on a target in use: says so", "in use" in p.stderr, p.stderr[-1500:])
        c.eq("a: rerun on a target in use: untouched", t.sha256(target), held)
    finally:
        t.run(["losetup", "-d", loop], check_rc=0)


def case_no_confirm(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "noconfirm.img")
    new_image(target, 4 << 30)
    before = t.sha256(target)
    p = rescue(binary, story, target, confirm=False)
    c.eq("b: exit code without --confirm-wipe", p.returncode, 2)
    c.true("b: says --confirm-wipe", "--confirm-wipe" in p.stderr, p.stderr)
    c.eq("b: target untouched", t.sha256(target), before)
    p = rescue(binary, story, target, "--confirm-wipe", "/dev/null", confirm=False)
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
    p = rescue(binary, story, target)
    c.eq("c: exit code for a copy of the source", p.returncode, 2)
    c.true("c: names a UUID of the source", any(i in p.stderr.lower() for i in ids), p.stderr)
    c.eq("c: clone untouched", t.sha256(target), before)


def case_too_small(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "small.img")
    new_image(target, 64 * MiB)
    before = t.sha256(target)
    p = rescue(binary, story, target)
    c.eq("d: exit code for a 64 MiB target", p.returncode, 2)
    low = p.stderr.lower()
    c.true("d: says it is too small", "small" in low or "need" in low or "fit" in low, p.stderr)
    c.eq("d: small target untouched", t.sha256(target), before)


def case_block_vm(c, binary, fixtures, work):
    src = os.path.join(fixtures, "block-vm.img")
    target = os.path.join(work, "block.img")
    new_image(target, 4 << 30)
    p = rescue(binary, src, target, "--hash", "sha256")
    c.eq("e: rescue exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return

    def extra(tgt, man, rep, tree):
        lv = [i for i in man["items"] if i["kind"] == "lv_image"]
        c.eq("e: one LV item", [i["dest"] for i in lv], ["lv/centos-db01.img"])
        f = os.path.join(tgt, "lv/centos-db01.img")
        want = pattern_sha256(48 * MiB, [(0xdb, 0, MiB), (0xd1, 23 * MiB, 2 * MiB),
                                         (0xd2, 47 * MiB, MiB)])
        if os.path.isfile(f):
            c.eq("e: db01 LV bytes", t.file_sha256(f), want)
            c.eq("e: manifest hash is the LV's sha256", lv[0]["hash"], want)
        xml = [i for i in man["items"] if i["kind"] == "domain_xml" and i["vm"] == "db01"]
        c.eq("e: db01 XML item", len(xml), 1)
        if xml:
            with open(os.path.join(tgt, xml[0]["dest"]), encoding="utf-8") as x:
                text = x.read()
            c.true("e: disk is type='file'", "type='file'" in text or 'type="file"' in text,
                   text)
            c.true("e: points at the LV copy",
                   "/var/lib/libvirt/images/lv/centos-db01.img" in text, text)
            c.true("e: original kept", bool(xml[0]["original_dest"]))
    check_copy(c, "e", binary, src, target, work, extra)


def case_hostile(c, binary, fixtures, work):
    src = os.path.join(fixtures, "hostile.img")
    target = os.path.join(work, "hostile-new.img")
    new_image(target, 4 << 30)
    p = rescue(binary, src, target)
    c.eq("f: rescue exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return

    def extra(tgt, man, rep, tree):
        odd = [i for i in man["items"] if "ウェブ" in i["dest"]]
        c.true("f: hostile files copied", len(odd) >= 2, str([i["dest"] for i in man["items"]]))
        c.true("f: /tmp/pwned not created", not os.path.exists("/tmp/pwned"))
    check_copy(c, "f", binary, src, target, work, extra)


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


def case_cancel(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "cancel.img")
    new_image(target, 4 << 30)
    argv = [binary, "rescue", story, "--target", target, "--confirm-wipe", target,
            "--max-rate", "2M"]
    rc, seen = signal_mid_copy(argv, signal.SIGINT)
    c.eq("g: exit code after SIGINT", rc, 130)
    if rc != 130:
        print(seen)
    p = rescue(binary, story, target)
    c.eq("g: rerun exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return

    def extra(tgt, man, rep, tree):
        c.true("g: report says it continued",
               any("continued" in w for w in rep["warnings"]), str(rep["warnings"]))
        c.true("g: something resumed or kept",
               rep["totals"]["resumed"] + rep["totals"]["reused"] > 0, str(rep["totals"]))
    check_copy(c, "g", binary, story, target, work, extra)


def case_sigkill(c, binary, fixtures, work):
    """SIGKILL mid-copy: nothing can run then, so loop devices and the mount
    stay; the next run releases them (the registry) and resumes the copy."""
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "killed.img")
    new_image(target, 4 << 30)
    argv = [binary, "rescue", story, "--target", target, "--confirm-wipe", target,
            "--max-rate", "1M"]
    rc, _ = signal_mid_copy(argv, signal.SIGKILL)
    c.eq("l: killed", rc, -signal.SIGKILL)
    left = [k for k, v in t.loop_devices().items() if os.path.realpath(v) in
            (os.path.realpath(story), os.path.realpath(target))]
    c.true("l: the kill left loop devices (nothing could release them)", left, str(left))
    p = rescue(binary, story, target)
    c.eq("l: the next run exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return

    def extra(tgt, man, rep, tree):
        c.true("l: the next run continued the killed one",
               any("continued" in w for w in rep["warnings"]), str(rep["warnings"]))
    check_copy(c, "l", binary, story, target, work, extra)


def case_identity(c, binary, fixtures, work):
    src = os.path.join(work, "moving.img")
    t.run(["cp", "--sparse=always", os.path.join(fixtures, "story.img"), src], check_rc=0)
    target = os.path.join(work, "identity.img")
    new_image(target, 4 << 30)
    plan = os.path.join(work, "plan.json")
    p = t.run([binary, "plan", src, "--target", target, "-o", plan])
    c.true("h: plan made", p.returncode in (0, 1) and os.path.isfile(plan), p.stderr)
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


def case_directory(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    with t.LoopFs(work, "dir-target") as d:
        mnt = d.mnt
        p = rescue(binary, story, mnt, confirm=False)
        c.eq("i: rescue into a directory exit code", p.returncode, 0)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            return
        man = load(os.path.join(mnt, "kvm-rescue/manifest.json"))
        c.true("i: every item copied", all(i["status"] == "copied" for i in man["items"]))
        for it in man["items"]:
            c.true(f"i: {it['dest']} present", os.path.isfile(os.path.join(mnt, it["dest"])))
        p = rescue(binary, story, mnt, confirm=False)
        c.eq("i: rerun exit code", p.returncode, 0)
        rep = load(os.path.join(mnt, "kvm-rescue/report.json"))
        c.eq("i: rerun keeps every item", rep["totals"]["reused"], len(man["items"]))


def case_broken(c, binary, fixtures, work):
    src = os.path.join(fixtures, "broken-vms.img")
    target = os.path.join(work, "broken-new.img")
    new_image(target, 4 << 30)
    p = rescue(binary, src, target)
    c.eq("j: rescue exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return

    def extra(tgt, man, rep, tree):
        status = {v["name"]: v for v in rep["vms"]}
        for name in ("ghost01", "trunc01", "loop01"):
            v = status.get(name)
            c.true(f"j: {name} skipped with a reason",
                   v is not None and v["status"] == "skipped" and v["reasons"], str(v))
            c.true(f"j: nothing of {name} copied",
                   not any(i["vm"] == name for i in man["items"]))
        c.true("j: the ready VMs copied",
               any(v["status"] == "copied" for v in rep["vms"]), str(rep["vms"]))
        with open(os.path.join(tgt, "kvm-rescue/report.txt"), encoding="utf-8") as f:
            text = f.read()
        c.true("j: report.txt names the skipped VMs", "ghost01" in text and "skipped" in text)
    check_copy(c, "j", binary, src, target, work, extra)


def case_guestfs(c, binary, fixtures, work):
    """The whole copy read through the libguestfs appliance (--backend guestfs):
    the files come out of the appliance (TreeByteSource), not kernel mounts."""
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "guestfs-new.img")
    new_image(target, 4 << 30)
    before = t.sha256(story)
    env = dict(os.environ, LIBGUESTFS_BACKEND="direct")
    p = rescue(binary, story, target, "--backend", "guestfs", env=env)
    c.eq("k: rescue --backend guestfs exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
        return
    c.true("k: read through the appliance", "Read via: guestfs" in p.stdout, p.stdout[-1500:])
    check_copy(c, "k", binary, story, target, work)
    c.eq("k: the source is unchanged", t.sha256(story), before)


def case_block_device(c, binary, fixtures, work):
    """A real block device as the target (a loop device over a blank image):
    mkfs.vfat refuses a block device that carries a partition table unless
    told (-I), which image files never showed."""
    story = os.path.join(fixtures, "story.img")
    image = os.path.join(work, "blockdev-new.img")
    new_image(image, 4 << 30)
    before = t.sha256(story)
    dev = t.run(["losetup", "-f", "--show", image], check_rc=0).stdout.strip()
    try:
        p = rescue(binary, story, dev)
        c.eq("m: rescue onto a block device exit code", p.returncode, 0)
        if p.returncode != 0:
            print(p.stdout[-3000:], p.stderr[-3000:])
            return
        doc, _ = t.probe_json(binary, "--no-smart", dev)
        labels = [q["filesystem"]["label"] for q in doc["disks"][0]["partition_table"]["partitions"]]
        c.true("m: an OEMDRV filesystem on the device", "OEMDRV" in labels, str(labels))
        check_copy(c, "m", binary, story, dev, work)
    finally:
        t.run(["losetup", "-d", dev])
    c.eq("m: the source is unchanged", t.sha256(story), before)


def shutdown_mid_copy(argv, mount_of, nth=1):
    """Runs ARGV (a rescue), shuts down the target's XFS (MOUNT_OF(pid)
    gives its path) once the NTH image is being copied; returns (rc,
    output, that image's dest)."""
    shut = []

    def shutdown(proc):
        try:
            where = mount_of(proc.pid)
        except AssertionError as e:
            shut.append(str(e))
            return False
        p = t.run(["xfs_io", "-x", "-c", "shutdown", where])
        shut.append(p.returncode == 0 or p.stderr)
        return True

    rc, seen, dest = mid_copy(argv, shutdown, nth)
    assert shut == [True], f"could not shut the target down: {shut} {seen[-2000:]}"
    return rc, seen, dest


def tool_mount_of(image):
    """The kvm-rescue process's mount of the data partition of IMAGE (a
    loop device over it), as a path this process can open."""
    def find(pid):
        loops = {"/dev/" + k for k, v in t.loop_devices().items()
                 if os.path.realpath(v) == os.path.realpath(image)}
        with open(f"/proc/{pid}/mountinfo", encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                sep = fields.index("-")
                if fields[sep + 1] == "xfs" and os.path.realpath(fields[sep + 2]) in loops:
                    return f"/proc/{pid}/root" + fields[4]
        raise AssertionError(f"no xfs mount of {image} in process {pid}")
    return find


def final_files_match(c, name, binary, source, root, work):
    """Every plan item under ROOT with its final name (the plan the run
    left in ROOT/kvm-rescue) has the source's bytes; returns how many."""
    plan = load(os.path.join(root, "kvm-rescue/plan.json"))
    checked = 0
    with SourceTree(binary, source, os.path.join(work, f"{name}-source")) as tree:
        for it in plan["items"]:
            dest = os.path.join(root, it["dest"])
            if it["kind"] not in ("image", "nvram") or it.get("new_backing_name") \
                    or not os.path.isfile(dest):
                continue
            checked += 1
            c.eq(f"{name}: {it['dest']} under its final name is the source's",
                 t.file_sha256(dest), t.file_sha256(os.path.join(tree, it["source"].lstrip("/"))))
    return checked


def case_target_fails(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    before = t.sha256(story)

    # A prepared target (an image the tool partitions and mounts itself).
    target = os.path.join(work, "failing.img")
    new_image(target, 4 << 30)
    argv = [binary, "rescue", story, "--target", target, "--confirm-wipe", target,
            "--max-rate", "1M"]
    rc, seen, _ = shutdown_mid_copy(argv, tool_mount_of(target))
    c.eq("n: exit code when the target fails", rc, 3)
    c.true("n: says the target stopped taking writes and to rerun",
           "stopped taking writes" in seen and "rerun" in seen, seen[-2000:])
    c.true("n: the report on the terminal says STOPPED", "Result: STOPPED, the target failed"
           in seen, seen[-2000:])
    line = next((x for x in seen.splitlines() if "; stopping: " in x), "")
    c.true("n: the stop names the target image, not the run's private mount point",
           f"{target}'s data partition" in line and "/run/kvm-rescue" not in line, line)
    stop = seen.find("; stopping: ")
    c.true("n: no item tried after the stop", stop > 0 and " -> " not in seen[stop:],
           seen[-2000:])
    t.run(["udevadm", "settle"])
    p = rescue(binary, story, target)
    c.eq("n: the rerun exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
    else:
        def extra(tgt, man, rep, tree):
            c.true("n: the rerun continued the stopped one",
                   any("continued" in w for w in rep["warnings"]), str(rep["warnings"]))
            c.eq("n: the report has no target failure", rep["target_failure"], "")
        check_copy(c, "n", binary, story, target, work, extra)

    # A directory target (a filesystem the user mounted).
    with t.LoopFs(work, "failing-dir") as d:
        mnt = d.mnt
        # The second image: the first is complete (and synced) by then.
        rc, seen, dest = shutdown_mid_copy([binary, "rescue", story, "--target", mnt,
                                            "--max-rate", "1M"], lambda pid: mnt, nth=2)
        c.eq("n: directory target: exit code", rc, 3)
        c.true("n: directory target: the error names the directory", mnt in seen, seen[-2000:])
        d.umount()
        d.mount()
        n = final_files_match(c, "n-dir", binary, story, mnt, work)
        c.true("n: directory target: an image was complete before the failure", n > 0, str(n))
        c.true(f"n: directory target: {dest}, copied when the target failed, does not "
               "carry its final name", not os.path.exists(os.path.join(mnt, dest)))
    c.eq("n: the source is unchanged", t.sha256(story), before)


def main():
    t.require_root_and_loop()
    t.require_tools("sfdisk", "losetup", "mount", "qemu-img", "virt-xml-validate", "mkfs.xfs",
                    "xfs_io")
    binary = t.env_path("KVMR_BIN")
    fixtures = t.env_path("KVMR_FIXTURES")
    c = t.Checker()
    only = os.environ.get("KVMR_COPY_CASES", "abcdefghijklmn")
    cases = {"a": case_story, "b": case_no_confirm, "c": case_source_copy, "d": case_too_small,
             "e": case_block_vm, "f": case_hostile, "g": case_cancel, "h": case_identity,
             "i": case_directory, "j": case_broken, "k": case_guestfs, "l": case_sigkill,
             "m": case_block_device, "n": case_target_fails}
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


if __name__ == "__main__":
    main()
