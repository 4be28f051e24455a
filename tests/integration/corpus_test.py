#!/usr/bin/env python3
"""scan over a corpus of real-shaped libvirt files (tests/data/corpus).

The corpus files (libvirt's own test data, and domains hand-made after
CentOS 7's libvirt 4.5 output; see tests/data/corpus/README.md) are laid
out as an old host's /etc/libvirt in a temporary directory, with image
files made by the real qemu-img for some of the paths the domains name and
others left missing on purpose. scan_tree (test-only, the project's
scan::build_inventory over volume::MountedTree) prints the inventory.

Every expectation is computed by kvmr_table.py, never taken from the
project's output: the disks by XPath over the XML (Python's ElementTree,
not the project's libxml2 reader), the backing chains by `qemu-img info` on
each member, and each VM's readiness by the table of docs/cli.md ("What
makes a VM ready, warnings or not_ready") written as plain rules over what
XPath found and which files this test made. Needs no root, loop device or
fixture.
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
import kvmr_table as rules  # noqa: E402

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
CENTOS7_DOMAINS = ["web01", "db01", "app02", "uefi03", "files04", "broken05", "imp06"]

# LVs the volume layer "mapped" from the source disks: VG centos is on the
# source disks (broken05's /dev/centos/broken05-data is not in it); VG
# HostVG (libvirt's test domains) is not.
LVS = {"centos/db01-data": (1 << 30, True)}  # name: (size, readable)

# Files made on the old host (old-host path -> how). Paths the domains name
# that are not here are missing on purpose: /tmp/firmware.img (a floppy),
# /path/to/file.qcow2 (startupPolicy='optional'), /path/to/fedora_VARS.fd
# (NVRAM), CentOS-7-x86_64-DVD-1810.iso (a cdrom), broken05-base.qcow2 (a
# backing file), broken05-scratch.qcow2 (optional), broken05-vmware-s001.vmdk
# (an extent).
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
    # imp06, imported from Hyper-V and VMware: a VHD, a VMDK descriptor
    # with its extent file, a qcow2 with an external data file.
    f"{IMAGES}/imp06-hyperv.vhd": ("vpc", 64 * MiB),
    f"{IMAGES}/imp06-vmware.vmdk": ("vmdk", 64 * MiB, "subformat=twoGbMaxExtentSparse"),
    f"{IMAGES}/imp06-data.qcow2": ("qcow2", 64 * MiB, "data_file=imp06-data.raw,data_file_raw=on"),
    f"{IMAGES}/broken05-vmware.vmdk": ("vmdk", 64 * MiB, "subformat=twoGbMaxExtentSparse"),
}
# Made, then lost: a backing file, a VMDK extent.
REMOVED = [f"{IMAGES}/broken05-base.qcow2", f"{IMAGES}/broken05-vmware-s001.vmdk"]


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
            opts = ["-o", how[2]] if len(how) > 2 else []
            # Relative names in -o (a data file) are taken from the cwd.
            t.run(["qemu-img", "create", "-q", "-f", how[0], *opts, os.path.basename(real),
                   str(how[1])], check_rc=0, cwd=os.path.dirname(real))
    for path in REMOVED:
        os.unlink(host(root, path))


def make_many_disk_images(root, domains):
    """Every file disk of the many-disks domain exists (raw, by qemu-img)."""
    dom = domains[libvirt_name("pci-bridge-many-disks")]
    for d in dom.findall("./devices/disk[@type='file']/source[@file]"):
        real = host(root, d.get("file"))
        os.makedirs(os.path.dirname(real), exist_ok=True)
        t.run(["qemu-img", "create", "-q", "-f", "raw", real, "1M"], check_rc=0)


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
        h = rules.Host(root, {lv: readable for lv, (_, readable) in LVS.items()})
        c.eq("networks as the rules read them", h.networks, networks)
        c.eq("pools as the rules read them", h.pools, pools)
        argv = [scan_tree, root]
        for lv, (size, readable) in LVS.items():
            argv += ["--lv", f"{lv}={size}" + ("" if readable else ",unreadable")]
        p = t.run(argv, check_rc=0)
        inv = json.loads(p.stdout)
        vms = {vm["name"]: vm for vm in inv["vms"]}
        c.eq("VMs found", sorted(vms), sorted(domains))
        check_objects(c, inv, networks, pools)
        rules.check_pool_volumes(c, h, inv["libvirt"]["pools"])
        for name, dom in sorted(domains.items()):
            if name in vms:
                rules.check_vm(c, h, name, dom, vms[name])
    c.finish()


if __name__ == "__main__":
    main()
