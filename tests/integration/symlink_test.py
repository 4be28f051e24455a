#!/usr/bin/env python3
"""Images behind symlinks and paths written loosely (issue 19, items 4-5),
on the fixture variant `home` (make-fixture --home-layout): the disk a
default CentOS 7 install leaves (LVs root, home, swap; /home the biggest)
with the images moved to /home and links left behind:

- /var/lib/libvirt/images -> /home/images (absolute): web01, mail01 (its
  backing file named by the absolute old path), app01 (and its NVRAM);
- link01's image is a link of its own: images/link01.qcow2 ->
  /home/images2/link01.qcow2;
- pool01 is a volume of the dir pool homepool, target "/home/pool/"
  (a trailing slash);
- outside01's image links to /srv/kvmr-outside/outside01.img, which the
  old root lacks. This test makes that file on this machine: it must never
  be read (outside01 is not_ready, nothing of it is copied).

`scan`, `plan` and `copy` run on it (kernel path). Expectations are
computed here, not taken from kvm-rescue's output: the old root is mounted
read-only (kvm-rescue mount-ro) and every path resolved by this test's own
walk inside that root (absolute link targets restart at the old root), the
files hashed; the domain XML's disk paths read with xml.etree. Also: the
copied domain XML names the same paths as the source (the links' paths),
the source image is unchanged, nothing stays attached. With libguestfs at
hand, `scan --inspect-guests` must open link01's and web01's images
(through the old root, never this machine's /home) and leave outside01 out.
The scan through the appliance (no loop device or mount on this side) runs
in the background from the start: under TCG a launch keeps one core busy,
and ctest runs the integration tests one at a time.
"""
import contextlib
import json
import os
import shutil
import stat
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402

OUTSIDE = "/srv/kvmr-outside/outside01.img"
IMAGES = "/var/lib/libvirt/images"
READY = {"web01", "mail01", "app01", "link01", "pool01"}


def in_root(root, path):
    """PATH of the old host resolved inside ROOT (a mounted copy of its
    tree) the way its kernel would have: every symlink followed, an absolute
    target from ROOT, ".." never above ROOT. The path on this machine, or
    None when it does not exist there."""
    done = []
    todo = [p for p in path.split("/") if p not in ("", ".")][::-1]
    hops = 0
    while todo:
        name = todo.pop()
        if name == "..":
            if done:
                done.pop()
            continue
        here = os.path.join(root, *done, name)
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(st.st_mode):
            hops += 1
            assert hops <= 40, f"{path}: a symlink loop"
            target = os.readlink(here)
            if target.startswith("/"):
                done = []
            todo.extend([p for p in target.split("/") if p not in ("", ".")][::-1])
            continue
        done.append(name)
    return os.path.join(root, *done)


def disk_sources(text):
    """(target dev, file or pool/volume) of every <disk> in domain XML TEXT."""
    out = []
    for d in ET.fromstring(text).iter("disk"):
        src = d.find("source")
        tgt = d.find("target")
        if src is None:
            continue
        where = src.get("file") or src.get("dev") or f"{src.get('pool')}/{src.get('volume')}"
        out.append((tgt.get("dev") if tgt is not None else "", where))
    return out


def check_scan(c, doc):
    vms = {v["name"]: v for v in doc["vms"]}
    c.eq("scan: the VMs", sorted(vms), sorted(READY | {"outside01"}))
    for name in sorted(READY):
        v = vms.get(name, {})
        c.eq(f"scan: {name} ready", v.get("readiness"), "ready")
    out = vms.get("outside01", {})
    c.eq("scan: outside01 not_ready", out.get("readiness"), "not_ready")
    reasons = " ".join(out.get("reasons", []))
    c.true("scan: outside01's reason names its image and the missing target",
           f"{IMAGES}/outside01.img" in reasons and OUTSIDE in reasons and
           "does not exist" in reasons, reasons)
    pools = {p["name"]: p for p in doc["libvirt"]["pools"]}
    c.eq("scan: the default pool (a symlinked target) lists its volumes",
         sorted(v["name"] for v in pools.get("default", {}).get("volumes", [])),
         ["app01.qcow2", "centos7-base.qcow2", "link01.qcow2", "mail01.qcow2",
          "outside01.img", "web01.img"])
    c.eq("scan: homepool (target with a trailing /) lists pool01.qcow2",
         [v["path"] for v in pools.get("homepool", {}).get("volumes", [])],
         ["/home/pool/pool01.qcow2"])
    c.eq("scan: no warning about a pool target",
         [w for w in doc["warnings"] if "pool" in w], [])


def check_images(c, man, tgt, root):
    """Every copied image against the file its path leads to in the old root."""
    images = [i for i in man["items"] if i["kind"] == "image"]
    sources = sorted(i["source"] for i in images)
    c.eq("copy: the image items, by the paths the domain XML names", sources,
         sorted([f"{IMAGES}/app01.qcow2", f"{IMAGES}/centos7-base.qcow2",
                 f"{IMAGES}/link01.qcow2", f"{IMAGES}/mail01.qcow2",
                 f"{IMAGES}/web01.img", "/home/pool/pool01.qcow2"]))
    for i in images:
        real = in_root(root, i["source"])
        c.true(f"copy: {i['source']} exists in the old root", real is not None)
        dest = os.path.join(tgt, i["dest"])
        if real is None or not os.path.isfile(dest):
            c.true(f"copy: {i['dest']} on the target", False)
            continue
        want = t.file_sha256(real)
        c.eq(f"copy: {i['dest']} has the bytes of {i['source']}", t.file_sha256(dest), want)
        c.eq(f"copy: manifest hash of {i['dest']}", i["hash"], want)
    link = [i for i in images if i["source"].endswith("/link01.qcow2")]
    c.eq("copy: link01 lands under the link's own name", [i["dest"] for i in link],
         ["link01.qcow2"])


def check_xml(c, man, tgt, root):
    """The copied domain XML names the same disk paths as the source."""
    xmls = {i["vm"]: i for i in man["items"] if i["kind"] == "domain_xml"}
    c.eq("copy: domain XML of every ready VM", sorted(xmls), sorted(READY))
    for vm, i in sorted(xmls.items()):
        with open(in_root(root, i["source"]), encoding="utf-8") as f:
            want = disk_sources(f.read())
        with open(os.path.join(tgt, i["dest"]), encoding="utf-8") as f:
            got = disk_sources(f.read())
        c.eq(f"copy: {vm}'s disk paths unchanged", got, want)
    c.eq("copy: link01's XML names the link", disk_sources(
        open(os.path.join(tgt, xmls["link01"]["dest"]), encoding="utf-8").read())
        if "link01" in xmls else [], [("vda", f"{IMAGES}/link01.qcow2")])


def check_outside(c, man, tgt, secret):
    c.eq("copy: nothing of outside01 planned",
         [i["source"] for i in man["items"] if "outside01" in i["source"]], [])
    hits = []
    for d, _, files in os.walk(tgt):
        for f in files:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) == len(secret):
                with open(p, "rb") as fh:
                    if fh.read() == secret:
                        hits.append(p)
    c.eq("copy: this machine's file behind outside01's link is nowhere on the target", hits, [])


def case_kernel(c, binary, home, work):
    """Returns the kernel path's scan (JSON)."""
    before = t.sha256(home)
    p = t.run([binary, "scan", "--json", "--backend", "kernel", home])
    c.eq("scan exit code (outside01 is not_ready)", p.returncode, 1)
    doc = json.loads(p.stdout)
    check_scan(c, doc)
    copy_and_check(c, binary, home, work)
    c.eq("source unchanged", t.sha256(home), before)
    return doc


def copy_and_check(c, binary, home, work):
    target = os.path.join(work, "new.img")
    cl.new_image(target, 4 << 30)
    plan = os.path.join(work, "plan.json")
    p = t.run([binary, "plan", home, "--target", target, "-o", plan])
    c.eq("plan exit code (outside01 is not_ready)", p.returncode, 1)
    if not os.path.isfile(plan):
        c.true("plan written", False, p.stderr[-2000:])
        return
    p = t.run([binary, "copy", "--plan", plan, "--confirm-wipe", target, "--hash", "sha256"])
    if not cl.exit_code_is(c, "copy exit code", p):
        return
    tgt = os.path.join(work, "target")
    src = os.path.join(work, "source")
    with cl.Mounted(binary, target, tgt), cl.SourceTree(binary, home, src) as root:
        man = cl.load(os.path.join(tgt, "kvm-rescue/manifest.json"))
        c.true("copy: manifest complete", man["complete"])
        c.eq("copy: every item copied",
             [i["source"] for i in man["items"] if i["status"] != "copied"], [])
        c.true("the old root has no outside01 target", in_root(root, OUTSIDE) is None)
        check_images(c, man, tgt, root)
        check_xml(c, man, tgt, root)
        nvram = [i for i in man["items"] if i["kind"] == "nvram"]
        c.eq("copy: app01's NVRAM (under /var/lib/libvirt/qemu, no link)",
             [t.file_sha256(os.path.join(tgt, i["dest"])) for i in nvram],
             [t.file_sha256(in_root(root, i["source"])) for i in nvram])
        with open(OUTSIDE, "rb") as f:
            check_outside(c, man, tgt, f.read())


def start_guestfs_scan(binary, home):
    """`scan --backend guestfs` started in the background (t.Background; a
    context yielding None without libguestfs)."""
    if shutil.which("libguestfs-test-tool") is None:
        return contextlib.nullcontext()
    return t.Background([binary, "scan", "--json", "--backend", "guestfs", home],
                        env=t.guestfs_env())


def case_guestfs(c, scan, kernel):
    """The libguestfs path sees what the kernel path sees."""
    if scan is None:
        c.skip("scan through libguestfs", "libguestfs is not installed")
        return
    p = scan.wait()
    if p.returncode not in (0, 1) and "launch" in p.stderr:
        c.skip("scan through libguestfs", "no appliance here: " + p.stderr.strip()[:300])
        return
    c.eq("guestfs: scan exit code (outside01 is not_ready)", p.returncode, 1)
    if p.returncode != 1:
        print(p.stderr[-2000:])
        return
    g = json.loads(p.stdout)
    check_scan(c, g)
    if kernel:
        for kv, gv in zip(kernel["vms"], g["vms"]):
            c.eq(f"guestfs: {kv['name']}: same inventory entry", gv, kv)
        c.eq("guestfs: same libvirt objects", g["libvirt"], kernel["libvirt"])
        c.eq("guestfs: same warnings", g["warnings"], kernel["warnings"])


def case_guests(c, binary, home):
    """Guest inspection opens the images through the old root."""
    if shutil.which("libguestfs-test-tool") is None:
        c.skip("guest inspection", "libguestfs is not installed")
        return
    p = t.run([binary, "scan", "--json", "--backend", "kernel", "--inspect-guests", home],
              env=t.guestfs_env(), timeout=900)
    doc = json.loads(p.stdout)
    guests = {v["name"]: v.get("guest") or {} for v in doc["vms"]}
    notes = " ".join(n for g in guests.values() for n in g.get("notes", []))
    if all(g.get("state") == "skipped" for g in guests.values()) and "appliance" in notes:
        c.skip("guest inspection", f"no libguestfs appliance here: {notes[:300]}")
        return
    for vm in ("web01", "link01", "pool01"):
        g = guests.get(vm, {})
        c.eq(f"inspect: {vm}'s image opened through the old root (no OS on it)",
             g.get("state"), "no_os")
    c.true("inspect: outside01 left out", guests.get("outside01", {}).get("state") != "no_os",
           str(guests.get("outside01")))


def main():
    t.require_root_and_loop()
    t.require_tools(*cl.TOOLS)
    binary = t.env_path("KVMR_BIN")
    home = t.fixture("home.img")
    fixtures = t.env_path("KVMR_FIXTURES")
    c = t.Checker()
    made_dir = not os.path.exists(os.path.dirname(OUTSIDE))
    if os.path.exists(OUTSIDE):
        t.skip(f"{OUTSIDE} exists already on this machine; this test makes and removes it")
    os.makedirs(os.path.dirname(OUTSIDE), exist_ok=True)
    with open(OUTSIDE, "wb") as f:
        f.write(b"this machine's own file, not the old host's\n" * 100)
    work = tempfile.mkdtemp(prefix="symlink-test.", dir=os.path.dirname(fixtures))
    try:
        kernel = None
        before = t.sha256(home)
        with start_guestfs_scan(binary, home) as scan:
            with t.SystemState(work) as state:
                try:
                    kernel = case_kernel(c, binary, home, work)
                except AssertionError as e:
                    c.true("kernel case: ran", False, str(e)[:2000])
                state.check()
            with t.SystemState(work) as state:
                case_guests(c, binary, home)
                case_guestfs(c, scan, kernel)
                state.check()
        c.eq("source unchanged by libguestfs", t.sha256(home), before)
        c.true("nothing left attached", True)
    finally:
        os.unlink(OUTSIDE)
        if made_dir:
            os.rmdir(os.path.dirname(OUTSIDE))
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
