"""The readiness table of docs/cli.md ("What makes a VM ready, warnings or
not_ready") written as plain rules, for tests that check scan against it
(corpus_test.py, realworld_test.py).

Independent of the project's code: the domain XML is read by XPath with
Python's ElementTree (the project uses libxml2), image headers and backing
chains by `qemu-img info`, the old host's files with os.path under ROOT
(a directory holding the old host's tree: a temporary layout or a
read-only mount). Links inside ROOT are followed by the rescue machine's
kernel, so a tree for these rules must not hold absolute symlinks.
"""
import json
import os
import re
import xml.etree.ElementTree as ET

import kvmr_testlib as t

EXOTIC = {"vmdk", "vhdx", "vpc", "parallels", "qed", "vdi", "qcow"}
NETWORK_POOLS = {"netfs", "iscsi", "iscsi-direct", "rbd", "gluster", "sheepdog", "vstorage"}
FILE_POOLS = {"dir", "fs"}
RANK = {"ready": 0, "warnings": 1, "not_ready": 2}


class Host:
    """What the rules need to know of the old host: ROOT, its libvirt
    networks and pools, its configured bridges, and the LVs the volume
    layer found ({"vg/lv": readable}; their VGs are the source VGs)."""

    def __init__(self, root, lvs):
        self.root, self.lvs = root, lvs
        self.source_vgs = {lv.split("/")[0] for lv in lvs}
        self.networks = {x.findtext("./name") for x in self.xml_in("/etc/libvirt/qemu/networks")}
        self.pools = {x.findtext("./name"): (x.get("type"), x.findtext("./target/path") or "",
                                             x.findtext("./source/name") or "")
                      for x in self.xml_in("/etc/libvirt/storage")}
        self.bridges = self.ifcfg_bridges()

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def xml_in(self, folder):
        d = self.path(folder)
        names = sorted(os.listdir(d)) if os.path.isdir(d) else []
        return [ET.parse(os.path.join(d, n)).getroot() for n in names if n.endswith(".xml")]

    def ifcfg_bridges(self):
        d = self.path("/etc/sysconfig/network-scripts")
        out = set()
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not n.startswith("ifcfg-"):
                continue
            with open(os.path.join(d, n), encoding="utf-8", errors="replace") as f:
                kv = dict(re.findall(r"^\s*([A-Z_]+)=\"?([^\"\n]*)\"?", f.read(), re.M))
            if kv.get("TYPE") == "Bridge":
                out.add(kv.get("DEVICE", n[len("ifcfg-"):]))
        return out

    def domains(self):
        """{name: parsed domain XML} of /etc/libvirt/qemu/*.xml that parse."""
        out = {}
        for x in self.xml_in_tolerant("/etc/libvirt/qemu"):
            out[x.findtext("./name")] = x
        return out

    def xml_in_tolerant(self, folder):
        d = self.path(folder)
        out = []
        for n in sorted(os.listdir(d)):
            if n.endswith(".xml"):
                try:
                    out.append(ET.parse(os.path.join(d, n)).getroot())
                except ET.ParseError:
                    pass
        return out


def disk_facts(disk):
    """What XPath finds in one <disk>."""
    src = disk.find("./source")
    get = (lambda a: src.get(a) if src is not None else None)
    return {
        "device": disk.get("device", "disk"),
        "type": disk.get("type", "file"),
        "target": disk.find("./target").get("dev"),
        "file": get("file"), "dev": get("dev"), "protocol": get("protocol"),
        "pool": get("pool"), "volume": get("volume"),
        "optional": get("startupPolicy") == "optional",
    }


def collapse(path):
    """//, /./ and a trailing / collapsed (docs/cli.md); '..' left alone."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/" + "/".join(parts)


def lv_of(path):
    """(vg, lv) for /dev/VG/LV or /dev/mapper/VG-LV; None for other devices."""
    m = re.fullmatch(r"/dev/mapper/((?:[^-]|--)+)-((?:[^-]|--)+)", path)
    if m:
        return m.group(1).replace("--", "-"), m.group(2).replace("--", "-")
    m = re.fullmatch(r"/dev/([^/]+)/([^/]+)", path)
    if m and m.group(1) not in ("disk", "mapper", "block", "char", "bus", "md", "cdrom"):
        return m.group(1), m.group(2)
    return None


def qemu_info(h, path):
    p = t.run(["qemu-img", "info", "-U", "--output=json", h.path(path)])
    return json.loads(p.stdout) if p.returncode == 0 else None


def beside(member, name):
    """NAME as the image MEMBER names it (backing file, extent, data file),
    as an old-host path."""
    return collapse(name if name.startswith("/") else os.path.dirname(member) + "/" + name)


def data_files(h, info, member):
    """VMDK extents and qcow2 external data files of one image, by
    qemu-img info (old-host paths; not the image itself). qemu-img names
    an extent by the path it opened, under ROOT: that prefix is dropped."""
    data = info.get("format-specific", {}).get("data", {})
    names = [e["filename"] for e in data.get("extents", [])]
    if data.get("data-file"):
        names.append(data["data-file"])
    real_root = os.path.realpath(h.root)
    out = []
    for n in names:
        if n.startswith(real_root + "/"):
            out.append("/" + os.path.relpath(n, real_root))
        elif n.startswith(h.root.rstrip("/") + "/"):
            out.append("/" + os.path.relpath(n, h.root))
        else:
            out.append(beside(member, n))
    return [f for f in out if f != member]


def chain_of(h, path):
    """qemu-img's view of an image and its backing files, each read with
    `qemu-img info` and its backing name looked up inside the old root:
    ([(old-host path, format)], [extents and data files], whole chain
    present and opened)."""
    members, extra, cur = [], [], path
    while cur:
        if cur in (m for m, _ in members) or len(members) > 16:
            return members, extra, False  # a loop
        info = qemu_info(h, cur) if os.path.isfile(h.path(cur)) else None
        if info is None:
            return members, extra, False
        members.append((cur, info["format"]))
        extra += data_files(h, info, cur)
        b = info.get("backing-filename")
        cur = beside(cur, b) if b else None
    return members, extra, all(os.path.isfile(h.path(f)) for f in extra)


def missing_member(h, path):
    """The chain member that is missing or does not open (old-host path)."""
    members, extra, ok = chain_of(h, path)
    if ok or not members:
        return path
    lost = [f for f in extra if not os.path.isfile(h.path(f))]
    if lost:
        return lost[0]
    info = qemu_info(h, members[-1][0])
    b = (info or {}).get("backing-filename")
    return beside(members[-1][0], b) if b else members[-1][0]


def resolve_volume(h, f):
    """A volume disk: (kind 'file'|'block'|None, path or why, why)."""
    pool = h.pools.get(f["pool"])
    if pool is None:
        return None, "not found", "a volume of a pool not defined on the old host"
    ptype, target, source = pool
    if ptype in NETWORK_POOLS:
        return None, "network", f"a volume of a {ptype} pool"
    if ptype in FILE_POOLS:
        return "file", collapse(target + "/" + f["volume"]), ""
    if ptype == "logical":
        return "block", f"/dev/{source or f['pool']}/{f['volume']}", ""
    return None, "host disk", f"a volume of a {ptype} pool (a host disk)"


def file_line(h, f, path):
    """(verdict, why, [paths a reason may name]) for a file disk."""
    removable = f["device"] in ("cdrom", "floppy")
    if not os.path.isfile(h.path(path)):
        if removable or f["optional"]:
            return "warnings", f"{path} is missing (removable or optional)", [path]
        return "not_ready", f"{path} is missing", [path]
    members, _, ok = chain_of(h, path)
    if not ok:
        return (("warnings" if removable else "not_ready"), f"{path}: its chain does not open",
                [path, missing_member(h, path)])
    exotic = [p for p, fmt in members if fmt in EXOTIC]
    if exotic:
        return ("warnings", f"{path}: chain member in " + ",".join(m for _, m in members),
                [path] + exotic)
    return "ready", "", [path]


def block_line(h, f, path):
    if f["device"] in ("cdrom", "floppy"):
        return "warnings", f"host device {path}"
    lv = lv_of(path)
    if lv is None:
        return "warnings", f"whole host disk {path}"
    name = f"{lv[0]}/{lv[1]}"
    if lv[0] not in h.source_vgs:
        return "warnings", f"LV {name} of a VG not on the source disks"
    if name not in h.lvs:
        return "not_ready", f"LV {name} missing from a source VG"
    return ("ready", "") if h.lvs[name] else ("not_ready", f"LV {name} unreadable")


def disk_line(h, f):
    """(verdict, why, [old-host paths a reason may name]) for one disk."""
    removable = f["device"] in ("cdrom", "floppy")
    kind, path = f["type"], f["file"] if f["type"] == "file" else f["dev"]
    if kind == "network":
        return "warnings", f"network disk ({f['protocol']})", [f["protocol"]]
    if kind == "volume":
        kind, path, why = resolve_volume(h, f)
        if kind is None:
            bad = "warnings" if removable or path in ("network", "host disk") else "not_ready"
            return bad, why, []
    if not path:
        return ("ready", "empty drive", []) if removable else ("not_ready", "no source", [])
    if kind == "file":
        return file_line(h, f, path)
    if kind == "block":
        return (*block_line(h, f, path), [path])
    return "not_ready", f"disk type {kind}", [path]


def nvram_line(h, name, dom):
    """(verdict, why, path or None, uefi?) for the firmware."""
    os_el = dom.find("./os")
    nv = os_el.find("./nvram") if os_el is not None else None
    uefi = os_el is not None and (os_el.get("firmware") == "efi" or nv is not None or
                                  os_el.find("./loader[@type='pflash']") is not None)
    if not uefi:
        return "ready", "", None, False
    if nv is not None and nv.get("type") == "network":
        return "warnings", "NVRAM on the network", None, True
    path = (nv.text or "").strip() if nv is not None else ""
    if not path and nv is not None and nv.find("./source[@file]") is not None:
        path = nv.find("./source").get("file")
    if not path:
        path = f"/var/lib/libvirt/qemu/nvram/{name}_VARS.fd"
    if os.path.isfile(h.path(path)):
        return "ready", "", path, True
    return "warnings", f"NVRAM {path} missing", path, True


def interface_lines(h, dom):
    out = []
    for i in dom.findall("./devices/interface[@type='network']/source"):
        if i.get("network") not in h.networks:
            out.append(("warnings", f"network {i.get('network')} not defined", i.get("network")))
    for i in dom.findall("./devices/interface[@type='bridge']/source"):
        if i.get("bridge") not in h.bridges:
            out.append(("warnings", f"bridge {i.get('bridge')} not configured", i.get("bridge")))
    return out


def expected_readiness(h, name, dom):
    """The worst line of the table for the VM; returns (verdict, lines)."""
    lines = []
    for disk in dom.findall("./devices/disk"):
        f = disk_facts(disk)
        verdict, why, paths = disk_line(h, f)
        lines.append({"verdict": verdict, "why": why, "target": f["target"], "paths": paths})
    verdict, why, path, _ = nvram_line(h, name, dom)
    lines.append({"verdict": verdict, "why": why, "target": None, "paths": [path] if path else []})
    for verdict, why, what in interface_lines(h, dom):
        lines.append({"verdict": verdict, "why": why, "target": None, "paths": [what]})
    worst = max((ln["verdict"] for ln in lines), key=RANK.get, default="ready")
    return worst, lines


def check_pool_volumes(c, h, inv_pools):
    """A file pool's volumes are the regular files in its target directory
    (looked up with the target's //, /./ and trailing / collapsed)."""
    got = {p.get("name"): p for p in inv_pools if not p["error"]}
    for name, (ptype, target, _) in sorted(h.pools.items()):
        if ptype not in FILE_POOLS or name not in got:
            continue
        d = h.path(collapse(target))
        want = sorted(n for n in os.listdir(d) if os.path.isfile(os.path.join(d, n))) \
            if os.path.isdir(d) else []
        names = sorted(v["name"] for v in got[name]["volumes"]
                       if not os.path.isdir(os.path.join(d, v["name"])))
        c.eq(f"pool {name} ({target}): its volumes", names, want)


# ------------------------------------------- checks of one VM of `scan --json`

def check_disks(c, h, name, dom, vm):
    """Each disk as XPath reads it, in XML order, and its chain as qemu-img
    reads it."""
    want = [disk_facts(d) for d in dom.findall("./devices/disk")]
    got = vm["disks"]
    c.eq(f"{name}: disk targets", [d["target"] for d in got], [f["target"] for f in want])
    for f, d in zip(want, got):
        what = f"{name} {f['target']}"
        c.eq(f"{what}: device", d["device"], f["device"])
        c.eq(f"{what}: type", d["type"], f["type"])
        path = f["file"] if f["type"] == "file" else None
        if f["type"] == "file" and f["file"]:
            c.eq(f"{what}: path", d["path"], f["file"])
        elif f["type"] == "block":
            c.eq(f"{what}: path", d["path"], f["dev"])
        elif f["type"] == "volume":
            kind, vpath, _ = resolve_volume(h, f)
            if kind is not None:
                c.eq(f"{what}: path of volume {f['pool']}/{f['volume']}", d["path"], vpath)
            path = vpath if kind == "file" else None
        if path and os.path.isfile(h.path(path)):
            check_chain(c, h, what, path, d)


def check_chain(c, h, what, path, d):
    members, extra, ok = chain_of(h, path)
    chain = d.get("chain") or {}
    if not ok:
        c.true(f"{what}: chain of {path} incomplete (qemu-img cannot open it all)",
               chain.get("complete") is False, f"chain={chain.get('complete')!r}")
        return
    c.eq(f"{what}: chain files of {path} (qemu-img info)",
         sorted(chain.get("files", [])), sorted([p for p, _ in members] + extra))
    c.eq(f"{what}: chain formats of {path}",
         [m.get("format") for m in chain.get("members", [])], [f for _, f in members])


def check_readiness(c, h, name, dom, vm):
    verdict, lines = expected_readiness(h, name, dom)
    bad = [f"{ln['target'] or ''} {ln['why']}".strip() for ln in lines
           if ln["verdict"] != "ready"]
    print(f"{name}: expected {verdict}, scan says {vm['readiness']}" +
          (f" ({'; '.join(bad)})" if bad else ""))
    c.eq(f"{name}: readiness (docs/cli.md table; lines: {bad})", vm["readiness"], verdict)
    for ln in lines:
        if ln["verdict"] == "ready":
            continue
        # One reason per line, naming the disk and the file or device.
        def names(r, ln=ln):
            disk = not ln["target"] or re.search(rf"\b{re.escape(ln['target'])}\b", r)
            return disk and (not ln["paths"] or any(p in r for p in ln["paths"]))
        c.true(f"{name}: a reason names {ln['target'] or 'the VM'} and "
               f"{' or '.join(ln['paths']) or 'no file'} ({ln['why']})",
               any(names(r) for r in vm["reasons"]), f"reasons: {vm['reasons']}")
    return verdict


def check_nvram(c, h, name, dom, vm):
    verdict, _, path, uefi = nvram_line(h, name, dom)
    c.eq(f"{name}: firmware", vm["firmware"], "uefi" if uefi else "bios")
    if path is None:
        return
    nv = vm.get("nvram") or {}
    c.eq(f"{name}: NVRAM path", nv.get("path"), path)
    c.eq(f"{name}: NVRAM present", nv.get("present"), verdict == "ready")
    c.eq(f"{name}: NVRAM among the files to copy", path in vm["files"], verdict == "ready")


def check_vm(c, h, name, dom, vm):
    """Every check above on one VM; returns the expected verdict."""
    c.eq(f"{name}: XML parsed", vm["error"], "")
    check_disks(c, h, name, dom, vm)
    check_nvram(c, h, name, dom, vm)
    return check_readiness(c, h, name, dom, vm)
