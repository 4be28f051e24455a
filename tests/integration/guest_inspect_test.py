#!/usr/bin/env python3
"""guestfs::inspect_guests (`scan --inspect-guests`) on VM disks read out of
the fixtures, through one libguestfs appliance.

The guest-fs fixture is mounted read-only with `kvm-rescue mount-ro`, and
web01's image inside it must show exactly the guest the fixture builder
wrote (CentOS 7.9, web01.example.jp), also through a qcow2 overlay whose
relative backing name leads into the mounted tree. From the story fixture
(mounted, copied out, unmounted): web01's raw image of byte patterns has no
operating system, and mail01.qcow2, whose backing name is the old host's
absolute path, is left out with a note saying so. The story and images-vg
images themselves stand in for two CentOS guests with clashing LVM (same
VG name and PV UUID): both must be found, the second in an appliance of
its own, launched while the shared one still inspects (the order of the
calls in the log, LIBGUESTFS_TRACE). The fixtures hash the same before
and after; no loop device or mount is left.

Skips (exit 77) when not root or when libguestfs cannot launch any
appliance here, printing libguestfs' own error. The appliance runs under
TCG unless LIBGUESTFS_BACKEND_SETTINGS is set (a /dev/kvm that does not
work would make every launch fail).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

IMAGES = "var/lib/libvirt/images"
MAIL01_BACKING = "/var/lib/libvirt/images/centos7-base.qcow2"
GUEST = {"state": "found", "os_type": "linux", "distro": "centos", "version": "7.9",
         "product_name": "CentOS Linux release 7.9.2009 (Core)", "hostname": "web01.example.jp"}


def mount_ro(binary, image, target):
    t.run([binary, "mount-ro", image, target], check_rc=0)


def umount(binary, target):
    t.run([binary, "umount", target], check_rc=0)


def inspect(driver, disks, log):
    argv = [driver, "--log", log]
    for vm, fmt, path in disks:
        argv += ["--disk", vm, fmt, path]
    env = dict(t.guestfs_env(), LIBGUESTFS_TRACE="1")  # calls in the log, for the order
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=840, check=False)
    if p.returncode != 0:
        raise AssertionError(f"guest_inspect exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return json.loads(p.stdout)


def check_guest(c, name, got, want_root_disk):
    for key, want in GUEST.items():
        c.eq(f"{name}: {key}", got.get(key), want)
    c.eq(f"{name}: version numbers", (got.get("major_version"), got.get("minor_version")), (7, 9))
    c.true(f"{name}: root is a partition", got.get("root", "").endswith("1"), got.get("root"))
    c.eq(f"{name}: root disk", got.get("root_disk"), want_root_disk)


def check_clone_started_early(c, log):
    """The cloned host's own appliance is launched while the shared one
    inspects: its launch is logged before the shared inspect_os returns."""
    calls = [line.split(" trace: ", 1)[1] for line in t.log_tail(log, 100000)
             if " trace: " in line]
    launches = [i for i, call in enumerate(calls) if call == "launch"]
    inspected = [i for i, call in enumerate(calls) if call.startswith("inspect_os = ")]
    c.eq("two appliances launched", len(launches), 2)
    c.true("the clone's appliance launched before the shared inspect_os returned",
           len(launches) == 2 and inspected and launches[1] < inspected[0],
           f"launch calls {launches}, inspect_os returns {inspected}")


def main():
    t.require_root_and_loop()
    t.require_tools("qemu-img", "cp")
    binary = t.env_path("KVMR_BIN")
    driver = t.env_path("KVMR_GUEST_INSPECT")
    ids = t.fixture_ids()
    fixtures = {n: t.fixture(f"{n}.img") for n in ("guest-fs", "story", "images-vg")}
    before = {n: t.sha256(p) for n, p in fixtures.items()}
    c = t.Checker()
    with tempfile.TemporaryDirectory(prefix="kvmr-inspect-", dir="/var/tmp") as tmp, \
            t.SystemState() as state:
        tree = os.path.join(tmp, "tree")
        os.mkdir(tree)
        # The story fixture's images, copied out (one tree mounted at a time).
        mount_ro(binary, fixtures["story"], tree)
        try:
            for name in ("web01.img", "mail01.qcow2"):
                shutil.copyfile(os.path.join(tree, IMAGES, name), os.path.join(tmp, name))
        finally:
            umount(binary, tree)
        state.check()

        mount_ro(binary, fixtures["guest-fs"], tree)
        try:
            web01 = os.path.join(tree, IMAGES, "web01.img")
            web01_before = t.sha256(web01)
            overlay = os.path.join(tmp, "web01-overlay.qcow2")
            t.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                   os.path.relpath(web01, tmp), overlay], check_rc=0)
            disks = [
                ("web01", "raw", web01),
                ("blank", "raw", os.path.join(tmp, "web01.img")),
                ("mail01", "qcow2", os.path.join(tmp, "mail01.qcow2")),
                ("web01 overlay", "qcow2", overlay),
                ("host-a", "raw", fixtures["story"]),
                ("host-b", "raw", fixtures["images-vg"]),
            ]
            log = os.path.join(tmp, "appliance.log")
            doc = inspect(driver, disks, log)
            c.eq("guest-fs web01.img unchanged", t.sha256(web01), web01_before)
        finally:
            umount(binary, tree)
        print(f"inspect_guests: {doc['seconds']:.1f} s")
        res = {r["vm"]: r for r in doc["results"]}
        for r in doc["results"]:
            print(f"{r['vm']}: {r['state']} {r['distro']} {r['version']} {r['hostname']!r} "
                  f"root {r['root']} on {r['root_disk']} notes {r['notes']}")
        state.check()
        c.eq("one result per VM, in order", [r["vm"] for r in doc["results"]],
             [d[0] for d in disks])
        if all(r["state"] in ("skipped", "failed") for r in doc["results"]):
            note = next((n for r in doc["results"] for n in r["notes"]
                         if n.startswith("guest inspection skipped")), "")
            c.true("skip note", note.startswith("guest inspection skipped: libguestfs cannot "
                                                "launch an appliance here: "), note)
            if note:
                t.skip_unless_appliance_launches(driver, tmp, "inspection was skipped: " + note)
            print("\n".join(t.log_tail(log, 40)))

        check_guest(c, "web01", res["web01"], web01)
        check_guest(c, "web01 overlay", res["web01 overlay"], overlay)
        c.true("web01 overlay: no absolute-name note", not res["web01 overlay"]["notes"],
               str(res["web01 overlay"]["notes"]))

        blank = res["blank"]
        c.eq("blank: state", blank["state"], "no_os")
        c.eq("blank: notes", blank["notes"], ["no operating system found on its disks"])
        c.eq("blank: nothing reported", (blank["root"], blank["distro"], blank["hostname"]),
             ("", "", ""))

        mail01 = res["mail01"]
        c.eq("mail01: state", mail01["state"], "failed")
        if os.path.exists(MAIL01_BACKING):
            c.skip("mail01: note names the absolute backing path",
                   f"{MAIL01_BACKING} exists on this machine, so the path is not absent")
        else:
            c.true("mail01: note names the absolute backing path",
                   any("left out" in n and f"absolute path {MAIL01_BACKING}" in n
                       for n in mail01["notes"]), str(mail01["notes"]))
            c.eq("mail01: last note", mail01["notes"][-1:], ["none of its disks can be opened here"])

        for vm, image in (("host-a", fixtures["story"]), ("host-b", fixtures["images-vg"])):
            h = res[vm]
            c.eq(f"{vm}: state", h["state"], "found")
            c.eq(f"{vm}: root", h["root"], "/dev/centos/root")
            c.eq(f"{vm}: root disk", h["root_disk"], image)
            c.eq(f"{vm}: distro", (h["os_type"], h["distro"], h["major_version"]),
                 ("linux", "centos", 7))
            c.eq(f"{vm}: hostname", h["hostname"], ids["HOSTNAME"])
        retried = [vm for vm in ("host-a", "host-b")
                   if any("appliance of its own" in n for n in res[vm]["notes"])]
        c.eq("exactly one of the clashing LVM hosts asked again alone", len(retried), 1)
        check_clone_started_early(c, log)
    for n, p in fixtures.items():
        c.eq(f"{n}.img unchanged", t.sha256(p), before[n])
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
