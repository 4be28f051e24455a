#!/usr/bin/env python3
"""kvm-rescue scan on every fixture variant, through kernel read-only mounts.

Checks that the inventory reports exactly the VMs, backing chains, LVs,
NVRAM, networks, pools, secrets and host profile scripts/make-fixture put
there; that secrets and the root password hash never reach the output;
that broken domains are reported (and the rest still comes through); that
the text fits 80 columns; and that the source image is not changed and
nothing stays attached.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

MiB = 1 << 20
GiB = 1 << 30
IMAGES = "/var/lib/libvirt/images"
HOSTILE = 'shop "test" $(touch /tmp/pwned) ウェブ'
HOSTILE_SAFE = HOSTILE.replace("/", "_")  # the name libvirt takes (scan/vm_name)
ROOT_HASH = "Vx1oQ3bKcJ1Zr8uE0mN5yT2wH7pL4sD9fG6aJ3kQ1xC8vB5nM2zR7tY4uI0oP9eW6qS3dF1gH8jK5lZ2xC4vB."
SECRET_VALUE = "AQDLdUBgAAAAABAAS1ZNUmZpeHR1cmUtY2VwaC1rZXk="

BASE = {"web01", "mail01", "app01"}
VARIANTS = {
    "story": BASE,
    "intact": BASE,
    "no-initramfs": BASE,
    "corrupt-boot-sb": BASE,
    "guest-fs": BASE,
    "dirty-root-log": BASE,
    "ext4": BASE,
    "dos": BASE,
    "images-vg": BASE,
    "block-vm": BASE | {"db01"},
    "multiseg": BASE | {"db01"},
    "hostile": BASE | {HOSTILE_SAFE},
    "broken-vms": BASE | {"ghost01", "trunc01", "loop01", "broken"},
}


def scan(binary, img, *extra, rc=0):
    p = t.run([binary, "scan", *extra, img], check_rc=rc)
    return p


def check_common_vms(c, name, vms, ids):
    web = vms["web01"]
    c.eq(f"{name}: web01 readiness", web["readiness"], "ready")
    c.eq(f"{name}: web01 uuid", web["uuid"], ids["DOM_UUID_WEB01"])
    c.eq(f"{name}: web01 autostart", web["autostart"], True)
    c.eq(f"{name}: web01 vcpus, memory", (web["vcpus"], web["memory_bytes"]), (2, 2 * GiB))
    c.eq(f"{name}: web01 firmware", web["firmware"], "bios")
    c.eq(f"{name}: web01 networks", web["networks"], ["bridge br0"])
    d = web["disks"][0]
    c.eq(f"{name}: web01 disk", (d["target"], d["type"], d["path"], d["format"]),
         ("vda", "file", f"{IMAGES}/web01.img", "raw"))
    c.eq(f"{name}: web01 virtual size (raw: file size)", d["virtual_size"], 256 * MiB)
    c.eq(f"{name}: web01 chain depth", d["chain"]["depth"], 1)
    c.eq(f"{name}: web01 files", web["files"],
         ["/etc/libvirt/qemu/web01.xml", f"{IMAGES}/web01.img"])
    c.true(f"{name}: web01 allocated < virtual (sparse)", 0 < d["allocated"] < 256 * MiB,
           d["allocated"])

    mail = vms["mail01"]
    c.eq(f"{name}: mail01 readiness", mail["readiness"], "ready")
    c.eq(f"{name}: mail01 autostart", mail["autostart"], False)
    c.eq(f"{name}: mail01 networks", mail["networks"], ["network default"])
    ch = mail["disks"][0]["chain"]
    c.eq(f"{name}: mail01 chain depth", ch["depth"], 2)
    c.eq(f"{name}: mail01 chain members",
         [(m["path"], m["format"], m["virtual_size"]) for m in ch["members"]],
         [(f"{IMAGES}/mail01.qcow2", "qcow2", GiB), (f"{IMAGES}/centos7-base.qcow2", "qcow2", GiB)])
    c.eq(f"{name}: mail01 backing name as written", ch["members"][0]["backing_name"],
         f"{IMAGES}/centos7-base.qcow2")
    snaps = "/var/lib/libvirt/qemu/snapshot/mail01"
    c.eq(f"{name}: mail01 files", mail["files"],
         ["/etc/libvirt/qemu/mail01.xml", f"{IMAGES}/mail01.qcow2",
          f"{IMAGES}/centos7-base.qcow2", f"{snaps}/after-update.xml",
          f"{snaps}/before-update.xml"])
    c.eq(f"{name}: mail01 snapshots", sorted(mail["snapshots"]), ["after-update", "before-update"])

    app = vms["app01"]
    c.eq(f"{name}: app01 readiness", app["readiness"], "ready")
    c.eq(f"{name}: app01 firmware", app["firmware"], "uefi")
    c.eq(f"{name}: app01 loader", app["loader"], "/usr/share/OVMF/OVMF_CODE.secboot.fd")
    nv = "/var/lib/libvirt/qemu/nvram/app01_VARS.fd"
    # The fixture's domain XML names it (<nvram>PATH</nvram>).
    c.eq(f"{name}: app01 nvram", app["nvram"],
         {"path": nv, "present": True, "size": 128 * 1024, "named": True})
    c.true(f"{name}: app01 files hold the nvram", nv in app["files"], app["files"])
    c.eq(f"{name}: app01 memory", app["memory_bytes"], 4 * GiB)


def check_host(c, name, doc, ids):
    h = doc["host"]
    c.eq(f"{name}: hostname", h["hostname"]["name"], "kvmhost01.example.jp")
    c.eq(f"{name}: os", (h["os"]["id"], h["os"]["version_id"]), ("centos", "7"))
    c.eq(f"{name}: time zone", h["timezone"]["name"], "Asia/Tokyo")
    c.eq(f"{name}: locale", (h["locale"]["lang"], h["locale"]["keymap"]), ("ja_JP.UTF-8", "jp106"))
    c.eq(f"{name}: selinux", h["selinux"]["mode"], "enforcing")
    bridges = {b["device"]: [p["device"] for p in b["ports"]] for b in h["network"]["bridges"]}
    c.eq(f"{name}: bridges", bridges, {"br0": ["eth0"]})
    c.eq(f"{name}: gateway", h["network"]["gateway"]["address"], "192.168.10.1")
    c.eq(f"{name}: root password", h["root_password"], {"state": "hash", "algorithm": "sha512"})
    units = {s["unit"] for s in h["services"]}
    c.true(f"{name}: libvirtd and sshd enabled", {"libvirtd.service", "sshd.service"} <= units,
           sorted(units))
    c.eq(f"{name}: kickstart present", h["kickstart"]["present"], True)
    lv = doc["libvirt"]
    c.eq(f"{name}: networks", [(n["name"], n["autostart"]) for n in lv["networks"]],
         [("default", True)])
    c.eq(f"{name}: pools", [(p["name"], p["type"], p["target_path"]) for p in lv["pools"]],
         [("default", "dir", IMAGES)])
    c.eq(f"{name}: secrets", [(s["uuid"], s["value_present"]) for s in lv["secrets"]],
         [(ids["SECRET_UUID"], True)])


def check_variant(c, binary, name, img, ids, want_vms):
    before = t.sha256(img)
    p = scan(binary, img, "--json", rc=1 if name == "broken-vms" else 0)
    c.true(f"{name}: the root hash is not in the output", ROOT_HASH not in p.stdout)
    c.true(f"{name}: the secret value is not in the output", SECRET_VALUE not in p.stdout)
    doc = json.loads(p.stdout)
    t.validate(doc, "scan.schema.json")
    c.eq(f"{name}: backend", doc["access"]["backend"], "kernel")
    vms = {v["name"]: v for v in doc["vms"]}
    c.eq(f"{name}: VMs", set(vms), want_vms)
    check_common_vms(c, name, vms, ids)
    check_host(c, name, doc, ids)
    if "db01" in vms:
        db = vms["db01"]
        d = db["disks"][0]
        c.eq(f"{name}: db01 is block-backed", (d["type"], d["path"]), ("block", "/dev/centos/db01"))
        c.eq(f"{name}: db01 LV", (d["lv"]["name"], d["lv"]["size"], d["lv"]["readable"]),
             ("centos/db01", 48 * MiB, True))
        c.eq(f"{name}: db01 LV access", d["lv"]["access"],
             "segment_map" if name == "multiseg" else "loop_at_offset")
        c.eq(f"{name}: db01 readiness", db["readiness"], "ready")
    if name == "hostile":
        v = vms[HOSTILE_SAFE]
        # Its '/' cannot be in a libvirt name: rescued under a safe name,
        # with a warning that names it.
        c.eq(f"{name}: hostile VM ready with a warning", v["readiness"], "warnings")
        c.eq(f"{name}: hostile VM keeps its old name", v.get("original_name"), HOSTILE)
        c.true(f"{name}: the warning names the safe name",
               any(f"rescued as {HOSTILE_SAFE}" in r for r in v["reasons"]), v["reasons"])
        c.eq(f"{name}: hostile VM image", v["disks"][0]["path"],
             f"{IMAGES}/shop \"test\" $(touch tmppwned) ウェブ.img")
        c.true(f"{name}: nothing was run", not os.path.exists("/tmp/pwned"))
    if name == "broken-vms":
        check_broken(c, vms)
    if name == "images-vg":
        mounts = {m["mountpoint"]: m for m in doc["access"]["mounts"]}
        c.eq(f"{name}: images LV mounted", mounts.get(IMAGES, {}).get("device"), "vmdata/images")
    c.eq(f"{name}: image unchanged", t.sha256(img), before)

    text = scan(binary, img, rc=1 if name == "broken-vms" else 0).stdout
    wide = [line for line in text.splitlines() if t.columns(line) > 80]
    c.eq(f"{name}: text fits 80 columns", wide, [])
    for vm in want_vms:
        c.true(f"{name}: text names {vm}", vm[:14] in text, vm)


def check_broken(c, vms):
    ghost = vms["ghost01"]
    c.eq("broken-vms: ghost01 not ready", ghost["readiness"], "not_ready")
    c.true("broken-vms: ghost01 says its image is missing",
           f"vda: {IMAGES}/ghost01.img: does not exist" in ghost["reasons"], ghost["reasons"])
    trunc = vms["trunc01"]
    c.eq("broken-vms: trunc01 not ready", trunc["readiness"], "not_ready")
    c.true("broken-vms: trunc01 names the truncated header",
           any("trunc01.qcow2" in r and "runs past the end of the file" in r
               for r in trunc["reasons"]), trunc["reasons"])
    loop = vms["loop01"]
    c.eq("broken-vms: loop01 not ready", loop["readiness"], "not_ready")
    c.true("broken-vms: loop01 names the loop",
           any("loop" in r and "already in the chain" in r for r in loop["reasons"]),
           loop["reasons"])
    c.eq("broken-vms: loop01 chain stops after two", loop["disks"][0]["chain"]["depth"], 2)
    broken = vms["broken"]
    c.eq("broken-vms: broken.xml not ready", broken["readiness"], "not_ready")
    c.true("broken-vms: broken.xml carries the parser's message with file and line",
           broken["error"].startswith("/etc/libvirt/qemu/broken.xml:3: "), broken["error"])


def main():
    t.require_root_and_loop()
    fixtures = t.env_path("KVMR_FIXTURES")
    binary = t.env_path("KVMR_BIN")
    ids = t.fixture_ids()
    c = t.Checker()
    with t.SystemState():
        for name, want in VARIANTS.items():
            check_variant(c, binary, name, os.path.join(fixtures, f"{name}.img"), ids, want)
        # Bad command lines and sources: clear errors, nothing attached.
        p = scan(binary, os.path.join(fixtures, "blank.img"), rc=3)
        c.true("blank disk: says no root filesystem was found",
               "no root filesystem" in p.stderr, p.stderr)
        p = scan(binary, "/nonexistent/disk.img", "--backend=kernel", rc=3)
        c.true("missing source: names it", "/nonexistent/disk.img" in p.stderr, p.stderr)
        p = scan(binary, os.path.join(fixtures, "story.img"), "--backend=fuse", rc=2)
        c.true("bad backend: refused", "fuse" in p.stderr, p.stderr)
    c.finish()


if __name__ == "__main__":
    main()
