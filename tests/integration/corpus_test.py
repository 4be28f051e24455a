#!/usr/bin/env python3
"""scan over a corpus of real-shaped libvirt files (tests/data/corpus).

The corpus files (libvirt's own test data, and domains hand-made after
CentOS 7's libvirt 4.5 output; see tests/data/corpus/README.md) are laid
out as an old host's /etc/libvirt in a temporary directory, with image
files made by the real qemu-img for some of the paths the domains name and
others left missing on purpose. scan_tree (test-only, the project's
scan::build_inventory over volume::MountedTree) prints the inventory.

Every expectation is computed here, never taken from the project's output:
the disks by XPath over the XML (Python's ElementTree, not the project's
libxml2 reader), the backing chains by `qemu-img info --backing-chain`, and
each VM's readiness by expected_readiness(), which writes the table of
docs/cli.md ("What makes a VM ready, warnings or not_ready") as plain rules
over what XPath found and which files this test made. Needs no root, loop
device or fixture.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

MiB = 1 << 20
CORPUS = os.path.join(t.env_path("KVMR_SOURCE_DIR"), "tests", "data", "corpus")
LIBVIRT = "libvirt-9.0.0"
CENTOS7 = "centos7-handmade"
IMAGES = "/var/lib/libvirt/images"

# libvirt's test domains all call themselves QEMUGuest1 or test-bios: each
# is placed under a name of its own (the corpus file stays as libvirt wrote it).
LIBVIRT_DOMAINS = [
    "disk-cdrom",                      # /dev/cdrom, an ISO, two empty drives
    "disk-floppy",                     # /dev/fd0, a missing floppy image, an LV
    "disk-network-rbd",
    "disk-network-iscsi",              # also device='lun'
    "disk-network-nbd",
    "disk-network-gluster",
    "disk-aio-io_uring.x86_64-latest",  # startupPolicy='optional', file and LV
    "firmware-manual-efi",             # <nvram>PATH</nvram>
    "firmware-manual-efi-nvram-file.x86_64-latest",  # <nvram type='file'><source file=>
    "firmware-manual-efi-nvram-network-iscsi.x86_64-latest",  # <nvram type='network'>
    "firmware-auto-efi-nvram.x86_64-latest",  # firmware='efi', NVRAM missing
    "firmware-auto-efi-loader-secure.x86_64-latest",  # no path: libvirt's default
    "pci-bridge-many-disks",           # 105 file disks
]
CENTOS7_DOMAINS = ["web01", "db01", "app02", "uefi03", "files04", "broken05"]

# LVs the volume layer "mapped" from the source disks: VG centos is on the
# source disks (broken05's /dev/centos/broken05-data is not in it); VG
# HostVG (libvirt's test domains) is not.
LVS = {"centos/db01-data": (1 << 30, True)}

# Files made on the old host (old-host path -> how). Paths the domains name
# that are not here are missing on purpose: /tmp/firmware.img (a floppy),
# /path/to/file.qcow2 (startupPolicy='optional'), /path/to/fedora_VARS.fd
# (NVRAM), CentOS-7-x86_64-DVD-1810.iso (a cdrom), broken05-base.qcow2 (a
# backing file), broken05-scratch.qcow2 (optional).
FILES = {
    "/root/boot.iso": ("raw", MiB),
    "/some/user/nvram/path/guest_VARS.fd": ("bytes", 128 * 1024),
    "/var/lib/libvirt/nvram/guest_VARS.fd": ("bytes", 128 * 1024),
    "/var/lib/libvirt/qemu/nvram/lv-firmware-auto-efi-loader-secure_VARS.fd":
        ("bytes", 128 * 1024),
    f"{IMAGES}/web01.qcow2": ("qcow2", 64 * MiB),
    f"{IMAGES}/db01.qcow2": ("qcow2", 64 * MiB),
    f"{IMAGES}/app02-base.vmdk": ("vmdk", 64 * MiB),
    f"{IMAGES}/app02.qcow2": ("overlay", "app02-base.vmdk", "vmdk"),
    f"{IMAGES}/CentOS-7-x86_64-Minimal-2009.iso": ("raw", 2 * MiB),
    f"{IMAGES}/uefi03.qcow2": ("qcow2", 64 * MiB),
    "/var/lib/libvirt/qemu/nvram/uefi03_VARS.fd": ("bytes", 128 * 1024),
    "/srv/vmimages/files04.qcow2": ("qcow2", 64 * MiB),
    f"{IMAGES}/broken05-base.qcow2": ("qcow2", 64 * MiB),
    f"{IMAGES}/broken05.qcow2": ("overlay", "broken05-base.qcow2", "qcow2"),
}
REMOVED = [f"{IMAGES}/broken05-base.qcow2"]  # made for the overlay, then lost

EXOTIC = {"vmdk", "vhdx", "vpc", "parallels", "qed", "vdi", "qcow"}
NETWORK_POOLS = {"iscsi", "iscsi-direct", "rbd", "gluster", "sheepdog", "vstorage"}
FILE_POOLS = {"dir", "fs", "netfs"}
RANK = {"ready": 0, "warnings": 1, "not_ready": 2}


def libvirt_name(stem):
    return "lv-" + stem.replace(".x86_64-latest", "")


def host(root, path):
    return os.path.join(root, path.lstrip("/"))


# ---------------------------------------------------------------- layout

def place_domains(root):
    """Writes every corpus domain to /etc/libvirt/qemu/NAME.xml; returns
    {name: parsed XML} as placed."""
    placed = {}
    qemu = host(root, "/etc/libvirt/qemu")
    os.makedirs(qemu, exist_ok=True)
    for stem in LIBVIRT_DOMAINS:
        name = libvirt_name(stem)
        with open(os.path.join(CORPUS, LIBVIRT, "domains", stem + ".xml"), encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"<name>[^<]*</name>", f"<name>{name}</name>", text, count=1)
        text = re.sub(r"<uuid>[^<]*</uuid>",
                      f"<uuid>{uuid.uuid5(uuid.NAMESPACE_URL, name)}</uuid>", text, count=1)
        placed[name] = text
    for name in CENTOS7_DOMAINS:
        with open(os.path.join(CORPUS, CENTOS7, "domains", name + ".xml"), encoding="utf-8") as f:
            placed[name] = f.read()
    for name, text in placed.items():
        with open(os.path.join(qemu, name + ".xml"), "w", encoding="utf-8") as f:
            f.write(text)
    return {name: ET.fromstring(text) for name, text in placed.items()}


def corpus_files(kind):
    for d in (LIBVIRT, CENTOS7):
        folder = os.path.join(CORPUS, d, kind)
        if os.path.isdir(folder):
            for n in sorted(os.listdir(folder)):
                yield os.path.join(folder, n)


def place_objects(root):
    """Networks, pools and secrets where libvirt keeps them; returns
    ({network names}, {pool name: (type, target path, source name)})."""
    networks, pools = set(), {}
    where = {"networks": "/etc/libvirt/qemu/networks", "pools": "/etc/libvirt/storage",
             "secrets": "/etc/libvirt/secrets"}
    for kind, folder in where.items():
        os.makedirs(host(root, folder), exist_ok=True)
        for path in corpus_files(kind):
            x = ET.parse(path).getroot()
            if kind == "networks":
                name = x.findtext("./name")
                networks.add(name)
            elif kind == "pools":
                name = x.findtext("./name")
                pools[name] = (x.get("type"), x.findtext("./target/path") or "",
                               x.findtext("./source/name") or "")
            else:
                name = x.findtext("./uuid")
            shutil.copyfile(path, os.path.join(host(root, folder), name + ".xml"))
    return networks, pools


def make_files(root):
    for path, how in FILES.items():
        real = host(root, path)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        if how[0] == "bytes":
            with open(real, "wb") as f:
                f.write(b"\x5a" * how[1])
        elif how[0] == "overlay":
            t.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", how[1], "-F", how[2], real],
                  check_rc=0)
        else:
            t.run(["qemu-img", "create", "-q", "-f", how[0], real, str(how[1])], check_rc=0)
    for path in REMOVED:
        os.unlink(host(root, path))


def make_many_disk_images(root, domains):
    """Every file disk of the many-disks domain exists (raw, by qemu-img)."""
    dom = domains[libvirt_name("pci-bridge-many-disks")]
    for d in dom.findall("./devices/disk[@type='file']/source[@file]"):
        real = host(root, d.get("file"))
        os.makedirs(os.path.dirname(real), exist_ok=True)
        t.run(["qemu-img", "create", "-q", "-f", "raw", real, "1M"], check_rc=0)


# ------------------------------------------------ independent expectations

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


def chain_of(root, path):
    """qemu-img's view of a present image: ([(old-host path, format)], ok)."""
    p = t.run(["qemu-img", "info", "-U", "--backing-chain", "--output=json", host(root, path)])
    if p.returncode != 0:
        return [], False
    chain = json.loads(p.stdout)
    chain = chain if isinstance(chain, list) else [chain]
    members = [("/" + os.path.relpath(os.path.realpath(c["filename"]), os.path.realpath(root)),
                c["format"]) for c in chain]
    return members, True


def resolve_volume(f, pools):
    """A volume disk: ('file'|'block', path) or a verdict line."""
    pool = pools.get(f["pool"])
    if pool is None:
        return None, "not found", "a volume of a pool not defined on the old host"
    ptype, target, source = pool
    if ptype in NETWORK_POOLS:
        return None, "network", f"a volume of a {ptype} pool"
    if ptype in FILE_POOLS:
        return "file", collapse(target + "/" + f["volume"]), ""
    if ptype == "logical":
        return "block", f"/dev/{source or f['pool']}/{f['volume']}", ""
    return None, "not found", f"a volume of a {ptype} pool"


def backing_of(root, path):
    """The backing file qemu-img reads from the image alone (old-host path)."""
    p = t.run(["qemu-img", "info", "-U", "--output=json", host(root, path)])
    name = json.loads(p.stdout).get("backing-filename") if p.returncode == 0 else None
    return collapse(os.path.join(os.path.dirname(path), name)) if name else None


def file_line(root, f, path):
    """(verdict, why, [paths a reason may name]) for a file disk."""
    removable = f["device"] in ("cdrom", "floppy")
    if not os.path.isfile(host(root, path)):
        if removable or f["optional"]:
            return "warnings", f"{path} is missing (removable or optional)", [path]
        return "not_ready", f"{path} is missing", [path]
    members, ok = chain_of(root, path)
    if not ok:
        named = [path] + [b for b in [backing_of(root, path)] if b]
        return ("warnings" if removable else "not_ready"), f"{path}: its chain does not open", named
    exotic = [p for p, fmt in members if fmt in EXOTIC]
    if exotic:
        return "warnings", f"{path}: chain member in " + ",".join(m for _, m in members), \
            [path] + exotic
    return "ready", "", [path]


def block_line(f, path, source_vgs):
    if f["device"] in ("cdrom", "floppy"):
        return "warnings", f"host device {path}"
    lv = lv_of(path)
    if lv is None:
        return "warnings", f"whole host disk {path}"
    name = f"{lv[0]}/{lv[1]}"
    if lv[0] not in source_vgs:
        return "warnings", f"LV {name} of a VG not on the source disks"
    if name not in LVS:
        return "not_ready", f"LV {name} missing from a source VG"
    return ("ready", "") if LVS[name][1] else ("not_ready", f"LV {name} unreadable")


def disk_line(root, f, pools, source_vgs):
    """(verdict, why, [old-host paths a reason may name]) for one disk, by
    the table."""
    removable = f["device"] in ("cdrom", "floppy")
    kind, path = f["type"], f["file"] if f["type"] == "file" else f["dev"]
    if kind == "network":
        return "warnings", f"network disk ({f['protocol']})", []
    if kind == "volume":
        kind, path, why = resolve_volume(f, pools)
        if kind is None:
            bad = "warnings" if removable or path == "network" else "not_ready"
            return bad, why, []
    if not path:
        return ("ready", "empty drive", []) if removable else ("not_ready", "no source", [])
    if kind == "file":
        return file_line(root, f, path)
    if kind == "block":
        return (*block_line(f, path, source_vgs), [path])
    return "not_ready", f"disk type {kind}", [path]


def nvram_line(root, name, dom):
    """(verdict, why, path or None, uefi?) for the firmware, by the table."""
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
    if os.path.isfile(host(root, path)):
        return "ready", "", path, True
    return "warnings", f"NVRAM {path} missing", path, True


def interface_lines(dom, networks):
    out = []
    for i in dom.findall("./devices/interface[@type='network']/source"):
        if i.get("network") not in networks:
            out.append(("warnings", f"network {i.get('network')} not defined", i.get("network")))
    for i in dom.findall("./devices/interface[@type='bridge']/source"):
        # The corpus holds no network-scripts: no bridge is configured.
        out.append(("warnings", f"bridge {i.get('bridge')} not configured", i.get("bridge")))
    return out


def expected_readiness(root, name, dom, networks, pools):
    """The worst line of docs/cli.md's table; returns (verdict, lines)."""
    source_vgs = {lv.split("/")[0] for lv in LVS}
    lines = []
    for disk in dom.findall("./devices/disk"):
        f = disk_facts(disk)
        verdict, why, paths = disk_line(root, f, pools, source_vgs)
        lines.append({"verdict": verdict, "why": why, "target": f["target"], "paths": paths})
    verdict, why, path, _ = nvram_line(root, name, dom)
    lines.append({"verdict": verdict, "why": why, "target": None, "paths": [path] if path else []})
    for verdict, why, what in interface_lines(dom, networks):
        lines.append({"verdict": verdict, "why": why, "target": None, "paths": [what]})
    worst = max((ln["verdict"] for ln in lines), key=RANK.get, default="ready")
    return worst, lines


# ---------------------------------------------------------------- checks

def check_disks(c, root, name, dom, vm, pools):
    """Each disk as XPath reads it, in XML order."""
    want = [disk_facts(d) for d in dom.findall("./devices/disk")]
    got = vm["disks"]
    c.eq(f"{name}: disk targets", [d["target"] for d in got], [f["target"] for f in want])
    for f, d in zip(want, got):
        what = f"{name} {f['target']}"
        c.eq(f"{what}: device", d["device"], f["device"])
        c.eq(f"{what}: type", d["type"], f["type"])
        if f["type"] == "file" and f["file"]:
            c.eq(f"{what}: path", d["path"], f["file"])
        elif f["type"] == "block":
            c.eq(f"{what}: path", d["path"], f["dev"])
        elif f["type"] == "volume":
            kind, path, _ = resolve_volume(f, pools)
            if kind is not None:
                c.eq(f"{what}: path of volume {f['pool']}/{f['volume']}",
                     collapse(d["path"]), path)
                c.eq(f"{what}: the volume's file as looked up", d["path"], path)
        path = f["file"] if f["type"] == "file" else None
        if f["type"] == "volume":
            kind, vpath, _ = resolve_volume(f, pools)
            path = vpath if kind == "file" else None
        if path and os.path.isfile(host(root, path)):
            check_chain(c, root, what, path, d)


def check_chain(c, root, what, path, d):
    members, ok = chain_of(root, path)
    chain = d.get("chain") or {}
    if not ok:
        c.true(f"{what}: chain of {path} incomplete (qemu-img cannot open it)",
               chain.get("complete") is False, f"chain={chain.get('complete')!r}")
        return
    c.eq(f"{what}: chain files of {path} (qemu-img --backing-chain)",
         sorted(chain.get("files", [])), sorted(p for p, _ in members))
    c.eq(f"{what}: chain formats of {path}",
         [m.get("format") for m in chain.get("members", [])], [f for _, f in members])


def check_readiness(c, root, name, dom, vm, networks, pools):
    verdict, lines = expected_readiness(root, name, dom, networks, pools)
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


def check_nvram(c, root, name, dom, vm):
    verdict, _, path, uefi = nvram_line(root, name, dom)
    c.eq(f"{name}: firmware", vm["firmware"], "uefi" if uefi else "bios")
    if path is None:
        return
    nv = vm.get("nvram") or {}
    c.eq(f"{name}: NVRAM path", nv.get("path"), path)
    c.eq(f"{name}: NVRAM present", nv.get("present"), verdict == "ready")
    c.eq(f"{name}: NVRAM among the files to copy", path in vm["files"], verdict == "ready")


def check_objects(c, inv, networks, pools):
    lib = inv["libvirt"]
    c.eq("networks read", sorted(os.path.basename(n["file"])[:-4] for n in lib["networks"]
                                 if not n["error"]), sorted(networks))
    c.eq("pools read", sorted(os.path.basename(p["file"])[:-4] for p in lib["pools"]
                              if not p["error"]), sorted(pools))
    want = sorted(ET.parse(p).getroot().findtext("./uuid") for p in corpus_files("secrets"))
    c.eq("secrets read", sorted(os.path.basename(s["file"])[:-4] for s in lib["secrets"]
                                if not s["error"]), want)


def main():
    t.require_tools("qemu-img")
    scan_tree = t.env_path("KVMR_SCAN_TREE")
    c = t.Checker()
    with tempfile.TemporaryDirectory(prefix="kvmr-corpus-") as root:
        domains = place_domains(root)
        networks, pools = place_objects(root)
        make_files(root)
        make_many_disk_images(root, domains)
        argv = [scan_tree, root]
        for lv, (size, readable) in LVS.items():
            argv += ["--lv", f"{lv}={size}" + ("" if readable else ",unreadable")]
        p = t.run(argv, check_rc=0)
        inv = json.loads(p.stdout)
        vms = {vm["name"]: vm for vm in inv["vms"]}
        c.eq("VMs found", sorted(vms), sorted(domains))
        check_objects(c, inv, networks, pools)
        for name, dom in sorted(domains.items()):
            vm = vms.get(name)
            if vm is None:
                continue
            c.eq(f"{name}: XML parsed", vm["error"], "")
            check_disks(c, root, name, dom, vm, pools)
            check_nvram(c, root, name, dom, vm)
            check_readiness(c, root, name, dom, vm, networks, pools)
    c.finish()


if __name__ == "__main__":
    main()
