#!/usr/bin/env python3
"""scan, plan and copy on the real-world fixture (make-fixture --real-world,
scripts/lib/fixture-realworld.sh): domains shaped as virt-install writes
them on CentOS 7 with host CD-ROM passthrough and an empty cdrom, a qcow2
overlay on a VMDK, NVRAM named the newer way, an rbd network disk, a whole
host disk by id, and a dir pool whose target ends in "/".

Expectations come from the old host's own files, read through a read-only
mount, never from kvm-rescue's output: each VM's readiness and disks by
the rules of docs/cli.md's table (kvmr_table.py: XPath with ElementTree,
`qemu-img info`). Then `plan --keep-format` onto an XFS directory target
takes every VM that is not not_ready, `copy` copies it: every copied image
and NVRAM has its source's SHA-256, what is not on the old disk (the host
CD-ROM, the rbd disk, the by-id disk) is not copied, the copied domain XML
keeps the by-id and network disks, drops the host CD-ROM's medium and
still validates, and the source image is unchanged.
"""
import json
import os
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402
import kvmr_table as rules  # noqa: E402

# The fixture's LVs (VG centos on the source disk); no domain uses one.
LVS = {"centos/root": True, "centos/swap": True}
# Not on the old disk: never a copy's source.
ELSEWHERE = ["/dev/cdrom", "/dev/disk/by-id/ata-ST2000DM008-2FR102_ZFL0A1B2",
             "libvirt-pool/rwnet01-data"]
RW = ["rwcd01", "rwvmdk01", "rwuefi01", "rwnet01", "rwbyid01", "rwpool01"]


def check_scan(c, binary, img, work):
    p = t.run([binary, "scan", "--json", img])
    c.true("scan exit code 0 or 1", p.returncode in (0, 1), p.stderr[-2000:])
    doc = json.loads(p.stdout)
    try:
        t.validate(doc, "scan.schema.json")
        c.true("scan JSON validates", True)
    except Exception as e:  # noqa: BLE001
        c.true("scan JSON validates", False, str(e)[:400])
    vms = {vm["name"]: vm for vm in doc["vms"]}
    src = os.path.join(work, "scan-source")
    with cl.SourceTree(binary, img, src) as tree:
        h = rules.Host(tree, LVS)
        doms = h.domains()
        for name in RW:
            c.true(f"{name} is in the fixture", name in doms, str(sorted(doms)))
        c.eq("VMs scanned", sorted(vms), sorted(doms))
        rules.check_pool_volumes(c, h, doc["libvirt"]["pools"])
        verdicts = {}
        for name, dom in sorted(doms.items()):
            if name in vms:
                verdicts[name] = rules.check_vm(c, h, name, dom, vms[name])
    return verdicts


def plan_and_copy(c, binary, img, work, target, verdicts):
    plan = os.path.join(work, "plan.json")
    p = t.run([binary, "plan", img, "--target", target, "--keep-format", "--json", "-o", plan])
    want = 0 if all(v == "ready" for v in verdicts.values()) else 1
    if not cl.exit_code_is(c, "plan exit code (VMs with warnings)", p, want):
        return None
    doc = cl.load(plan)
    try:
        t.validate(doc, "plan.schema.json")
        c.true("plan validates", True)
    except Exception as e:  # noqa: BLE001
        c.true("plan validates", False, str(e)[:400])
    c.eq("plan takes every VM that is not not_ready", sorted(doc["vms"]),
         sorted(n for n, v in verdicts.items() if v != "not_ready"))
    sources = {i["source"] for i in doc["items"]}
    for s in ELSEWHERE:
        c.true(f"plan: {s} is not an item", s not in sources)
    p = t.run([binary, "copy", "--plan", plan])
    if not cl.exit_code_is(c, "copy exit code", p, 0):
        return None
    return cl.load(os.path.join(target, "kvm-rescue/manifest.json"))


def wanted_files(h, doms):
    """Old-host files each rw VM must bring (chain members of its disks on
    the old disk, its NVRAM), by the rules."""
    out = {}
    for name in RW:
        files = set()
        dom = doms[name]
        for disk in dom.findall("./devices/disk"):
            f = rules.disk_facts(disk)
            kind, path = f["type"], f["file"]
            if kind == "volume":
                kind, path, _ = rules.resolve_volume(h, f)
            if kind == "file" and path and os.path.isfile(h.path(path)):
                members, extra, _ = rules.chain_of(h, path)
                files.update([m for m, _ in members] + extra)
        _, _, nvram, _ = rules.nvram_line(h, name, dom)
        if nvram and os.path.isfile(h.path(nvram)):
            files.add(nvram)
        out[name] = files
    return out


def check_target(c, binary, img, work, target, man):
    items = {(i["kind"], i["source"]): i for i in man["items"]}
    src = os.path.join(work, "copy-source")
    with cl.SourceTree(binary, img, src) as tree:
        h = rules.Host(tree, LVS)
        doms = h.domains()
        for name, files in wanted_files(h, doms).items():
            copied = {i["source"] for i in man["items"] if i["vm"] == name and
                      i["kind"] in ("image", "nvram")}
            c.eq(f"{name}: the files copied", sorted(copied), sorted(files))
        for it in man["items"]:
            if it["kind"] not in ("image", "nvram") or not it["vm"].startswith("rw"):
                continue
            dest = os.path.join(target, it["dest"])
            c.eq(f"{it['dest']}: copied", it["status"], "copied")
            if os.path.isfile(dest):
                c.eq(f"{it['dest']}: SHA-256 of {it['source']}", t.file_sha256(dest),
                     t.file_sha256(h.path(it["source"])))
    for s in ELSEWHERE:
        c.true(f"copy: {s} is not an item", all(s != k[1] for k in items))
    check_copied_xml(c, target, man)


def copied_domain(target, man, name):
    for it in man["items"]:
        if it["kind"] == "domain_xml" and it["vm"] == name:
            path = os.path.join(target, it["dest"])
            p = t.run(["virt-xml-validate", path, "domain"])
            return ET.parse(path).getroot(), p
    return None, None


def check_copied_xml(c, target, man):
    for name in RW:
        dom, p = copied_domain(target, man, name)
        c.true(f"{name}: its domain XML was copied", dom is not None)
        if dom is None:
            continue
        c.true(f"{name}: copied domain XML validates", p.returncode == 0, p.stdout + p.stderr)
    dom, _ = copied_domain(target, man, "rwcd01")
    if dom is not None:
        hda = dom.find("./devices/disk/target[@dev='hda']/..")
        c.true("rwcd01: hda (host CD-ROM) is kept", hda is not None)
        if hda is not None:
            c.true("rwcd01: hda has no medium left", hda.find("./source") is None,
                   ET.tostring(hda, encoding="unicode"))
        c.true("rwcd01: the empty cdrom hdb is kept",
               dom.find("./devices/disk/target[@dev='hdb']") is not None)
    dom, _ = copied_domain(target, man, "rwuefi01")
    nv = [i for i in man["items"] if i["vm"] == "rwuefi01" and i["kind"] == "nvram"]
    if dom is not None and nv:
        el = dom.find("./os/nvram")
        src = el.find("./source") if el is not None else None
        named = ((el.text or "").strip() if el is not None else "") or (
            src.get("file") if src is not None else "")
        c.eq("rwuefi01: the copied XML names the NVRAM where it is installed", named,
             nv[0]["new_path"])
    dom, _ = copied_domain(target, man, "rwbyid01")
    if dom is not None:
        c.true("rwbyid01: the by-id disk is still named",
               dom.find(f"./devices/disk/source[@dev='{ELSEWHERE[1]}']") is not None)
    dom, _ = copied_domain(target, man, "rwnet01")
    if dom is not None:
        c.true("rwnet01: the rbd disk is kept",
               dom.find("./devices/disk[@type='network']/source[@protocol='rbd']") is not None)


def check_converted(c, binary, img, work, target):
    """The default plan (EL7) converts rwvmdk01's VMDK-backed chain to one
    qcow2: the guest sees the bytes make-fixture wrote (read with qemu-io),
    the file has no backing file, and the copied XML names it as qcow2."""
    plan = os.path.join(work, "plan-el7.json")
    p = t.run([binary, "plan", img, "--target", target, "--vm", "rwvmdk01", "-o", plan])
    if not cl.exit_code_is(c, "convert: plan exit code (a VM with warnings)", p, 1):
        return
    items = [i for i in cl.load(plan)["items"] if i["vm"] == "rwvmdk01" and i["kind"] == "image"]
    c.eq("convert: one image item for the whole chain", len(items), 1)
    p = t.run([binary, "copy", "--plan", plan])
    if not cl.exit_code_is(c, "convert: copy exit code", p, 0) or len(items) != 1:
        return
    dest = os.path.join(target, items[0]["dest"])
    info = json.loads(t.run(["qemu-img", "info", "--output=json", dest]).stdout or "{}")
    c.eq("convert: the copy is qcow2", info.get("format"), "qcow2")
    c.true("convert: the copy has no backing file", "backing-filename" not in info, str(info))
    for pattern, offset in (("0x91", "0"), ("0x93", "1M"), ("0x92", "100M"), ("0", "50M")):
        p = t.run(["qemu-io", "-r", "-f", "qcow2", "-c", f"read -P {pattern} {offset} 1M", dest])
        c.true(f"convert: guest bytes {pattern} at {offset}",
               p.returncode == 0 and "verification failed" not in p.stdout, p.stdout + p.stderr)
    man = cl.load(os.path.join(target, "kvm-rescue/manifest.json"))
    dom, v = copied_domain(target, man, "rwvmdk01")
    if dom is None:
        c.true("convert: the domain XML was copied", False)
        return
    c.true("convert: the copied XML validates", v.returncode == 0, v.stdout + v.stderr)
    vda = dom.find("./devices/disk/target[@dev='vda']/..")
    c.eq("convert: vda names the converted file", vda.find("./source").get("file"),
         items[0]["new_path"])
    c.eq("convert: vda's driver type", vda.find("./driver").get("type"), "qcow2")


def main():
    t.require_root_and_loop()
    t.require_tools("qemu-img", "mkfs.xfs", "virt-xml-validate")
    binary = t.env_path("KVMR_BIN")
    img = t.fixture("real-world.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="realworld-test.", dir=os.path.dirname(img))
    try:
        with t.SystemState(work) as state:
            before = t.sha256(img)
            verdicts = check_scan(c, binary, img, work)
            with t.LoopFs(work, "rw-target", size=2 << 30) as fs:
                man = plan_and_copy(c, binary, img, work, fs.mnt, verdicts)
                if man is not None:
                    check_target(c, binary, img, work, fs.mnt, man)
            with t.LoopFs(work, "rw-convert", size=1 << 30) as fs:
                check_converted(c, binary, img, work, fs.mnt)
            c.eq("the source image is unchanged", t.sha256(img), before)
            state.check()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
