#!/usr/bin/env python3
"""kvm-rescue scan --backend=guestfs gives the same inventory as the kernel path.

The story fixture is scanned twice: through read-only kernel mounts and
through the libguestfs appliance (TCG here: slow, about a minute). Every VM
(disks, chains, sizes, files, readiness), the host profile and the libvirt
objects must be equal; only the access section differs. Skipped only when
no libguestfs appliance can start on this machine at all.

The appliance scan runs in the background meanwhile the kernel scan and
`scan --inspect-guests` (its own appliance) run: under TCG a launch keeps
one core busy, and ctest runs the integration tests one at a time.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402


def scan_argv(binary, img, backend):
    return [binary, "scan", "--json", f"--backend={backend}", img]


def appliance_can_start(binary, img):
    """The scan failed at launch: is any appliance possible here?"""
    p = subprocess.run(["libguestfs-test-tool", "-t", "600"], capture_output=True, text=True,
                       timeout=900, check=False)
    return p.returncode == 0


def main():
    t.require_root_and_loop()
    t.require_tools("libguestfs-test-tool")
    fixtures = t.env_path("KVMR_FIXTURES")
    binary = t.env_path("KVMR_BIN")
    img = os.path.join(fixtures, "story.img")
    c = t.Checker()
    guest_img = os.path.join(fixtures, "guest-fs.img")
    with t.SystemState():
        before = t.sha256(img)
        guest_before = t.sha256(guest_img)
        env = t.appliance_env(dict(os.environ))
        # No loop device or mount on this side: it may run beside the others.
        with t.Background(scan_argv(binary, img, "guestfs"), env=env) as appliance_scan:
            kernel = t.run(scan_argv(binary, img, "kernel"), timeout=900)
            inspected = t.run([binary, "scan", "--json", "--inspect-guests", guest_img],
                              timeout=900, env=env)
            gfs = appliance_scan.wait()
        c.eq("kernel path exit code", kernel.returncode, 0)
        if gfs.returncode != 0 and "launch" in gfs.stderr:
            if not appliance_can_start(binary, img):
                t.skip("libguestfs cannot launch an appliance here: "
                       + gfs.stderr.strip().splitlines()[0])
        c.eq("guestfs path exit code", gfs.returncode, 0)
        if gfs.returncode != 0:
            print(gfs.stderr)
            c.finish()
        k, g = json.loads(kernel.stdout), json.loads(gfs.stdout)
        t.validate(g, "scan.schema.json")
        c.eq("guestfs backend reported", g["access"]["backend"], "guestfs")
        c.eq("same VMs", [v["name"] for v in g["vms"]], [v["name"] for v in k["vms"]])
        for kv, gv in zip(k["vms"], g["vms"]):
            c.eq(f"{kv['name']}: same inventory entry", gv, kv)
        c.eq("same host profile", g["host"], k["host"])
        c.eq("same libvirt objects", g["libvirt"], k["libvirt"])
        c.eq("same warnings", g["warnings"], k["warnings"])
        lvs = {lv["name"]: lv for lv in g["access"]["lvs"]}
        c.eq("LVs seen through the appliance", sorted(lvs), ["centos/root", "centos/swap"])
        c.eq("root LV size", lvs.get("centos/root", {}).get("size"), 640 << 20)
        c.eq("image unchanged", t.sha256(img), before)
        check_inspect(c, inspected)
        c.eq("inspect: image unchanged", t.sha256(guest_img), guest_before)
    c.finish()


def check_inspect(c, p):
    """--inspect-guests: web01's image holds a CentOS 7.9 root, the others none."""
    c.eq("inspect: exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stderr)
        return
    doc = json.loads(p.stdout)
    t.validate(doc, "scan.schema.json")
    guests = {v["name"]: v["guest"] for v in doc["vms"]}
    web = guests["web01"]
    c.eq("inspect: web01 found", web["state"], "found")
    c.eq("inspect: web01 OS", (web["os_type"], web["distro"], web["version"]),
         ("linux", "centos", "7.9"))
    c.eq("inspect: web01 hostname", web["hostname"], "web01.example.jp")
    c.eq("inspect: app01 (patterns only) has no OS", guests["app01"]["state"], "no_os")
    c.true("inspect: mail01 left out or without OS, with a note",
           guests["mail01"]["state"] in ("no_os", "failed", "skipped")
           and len(guests["mail01"]["notes"]) > 0, guests["mail01"])


if __name__ == "__main__":
    main()
