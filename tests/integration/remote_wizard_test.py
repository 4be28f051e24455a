#!/usr/bin/env python3
"""The wizard's network target (issue 22), driven through a real terminal
(tmux, as wizard_test.py), onto a second KVM host: this machine's own sshd
and libvirtd started by the test in private namespaces (kvmr_sshd.py beside
kvmr_libvirtd.py), reached over loopback only, with a machine-id of its own
and a tmpfs at /var/lib/libvirt/images. The wizard runs in that network
namespace, which also gets a veth pair of its own for the Network screen.

(a) Welcome to VMs as usual; on Target the last row, "another KVM host over
    the network"; the Network screen lists the namespace's ports with their
    link state, and a static address typed in is set on one; the address
    and a key file (beside the answer file) typed on the Remote host form;
    the host key shown and first declined (nothing planned), then accepted
    when it is the sshd's; the review names that host; the answer file is
    saved; the copy runs; the Remote restore screen shows the dry run there,
    which refuses web01 (the second host has a web01 of its own) and stops
    for want of KVM; e (allow emulation) and r (web01 renamed web01-rescued)
    run it again; Enter and yes define every VM there, web01 as
    web01-rescued, the host's own web01 untouched; Done; exit 0.
(b) The answer file names the key relative to itself and holds the network
    and restore choices; after the domains and the copy are removed there
    and the address is taken off the port, `wizard --replay` with no keys
    sets the address up again, copies, restores (exit 0), and the domains
    are there again.
Each image there has the sha256 of the old disk's file; the source image is
unchanged; nothing is left mounted, running or attached.
"""
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_copylib as cl  # noqa: E402
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_sshd as sshd  # noqa: E402
import kvmr_testlib as t  # noqa: E402
import remote_copy_test as rc  # noqa: E402
import wizard_test as wt  # noqa: E402

IMAGES = rc.IMAGES
PORT_ADDRESS = "10.77.0.1/24"
THEIR_WEB01 = """<domain type='qemu'><name>web01</name>
<uuid>0b0b0b0b-1111-2222-3333-444444444444</uuid><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os></domain>
"""


def in_namespace(s, argv):
    """ARGV in the test's network namespace, with a /sys of that namespace
    (sysfs shows the ports of the namespace that mounts it) in a mount
    namespace of its own, gone with the process. (A script file: the
    terminal's shell would expand "$@" in an inline one.)"""
    script = os.path.join(s.dir, "with-sysfs.sh")
    with open(script, "w", encoding="ascii") as f:
        f.write('mount -t sysfs kvmr-sys /sys && exec "$@"\n')
    return s._nsenter() + ["unshare", "-m", "--", "sh", script, *argv]


def ports(s):
    """A veth pair inside the test's network namespace, for the Network screen."""
    s.enter(["ip", "link", "add", "kvmrv0", "type", "veth", "peer", "name", "kvmrv1"], check=True)
    s.enter(["ip", "link", "set", "kvmrv1", "up"], check=True)


def address_on_port(s):
    return s.enter(["ip", "-o", "addr", "show", "dev", "kvmrv0"]).stdout


def to_target(c, w):
    w.open_old_host()
    w.keys("n")
    w.wait("Chosen: 3 of 3 VMs")
    w.keys("Enter")
    s = w.wait("Where the VMs go")
    c.true("a: the Target screen offers another KVM host",
           "another KVM host over the network (SSH)" in s, s)
    w.keys("Down", "Enter")
    return w.wait("The other KVM host that takes the VMs")


def network_screen(c, w, s):
    w.keys("Enter")
    scr = w.wait("The network ports of this machine")
    c.true("a: the Network screen lists the namespace's ports with their link state",
           "kvmrv0" in scr and "kvmrv1" in scr and "(no address)" in scr, scr)
    w.keys("s")
    w.wait("Address and prefix for kvmrv0")
    w.type(PORT_ADDRESS)
    w.keys("Enter")
    w.wait("Default gateway")
    w.keys("Enter")
    w.wait("DNS server")
    w.keys("Enter")
    scr = w.wait("kvmrv0 is up")
    c.true("a: the static address is shown set", PORT_ADDRESS in scr, scr)
    w.keys("Enter")
    w.wait(PORT_ADDRESS.replace(".", r"\."))
    c.true("a: the address is on the port", PORT_ADDRESS in address_on_port(s))
    w.keys("Escape")
    scr = w.wait("The other KVM host that takes the VMs")
    c.true("a: the form shows the address", "kvmrv0 " + PORT_ADDRESS in scr, scr)


def remote_form(c, w, s, key):
    w.keys("Down", "Enter")
    w.wait("of the other KVM host")
    w.type(f"127.0.0.1:{s.port}")
    w.keys("Enter")
    w.wait(f"ssh://root@127.0.0.1:{s.port}")
    w.keys("Down", "Enter")
    w.wait("Private key file")
    w.type(key)
    w.keys("Enter")
    w.wait(re.escape(key[-30:]))
    w.keys("c")
    scr = w.wait("Are they the other host's")
    c.true("a: the host key shown is the sshd's", s.host_key_fingerprint() in scr.replace("\n", ""),
           scr)
    w.keys("n")
    w.wait("The other KVM host that takes the VMs")
    w.keys("c")
    w.wait("Are they the other host's")
    w.keys("y")
    scr = w.wait("Enter: start the copy", timeout=300)
    return scr


def review_and_copy(c, w, work):
    scr = w.screen()
    c.true("a: the review names that host", "ssh://root@127.0.0.1" in scr, scr)
    w.keys("s")
    w.wait("Save the answer file")
    w.keys("Enter")
    w.wait("Answer file saved")
    w.keys("Enter")
    scr = w.wait("Copy 3 VM")
    c.true("a: the start question names that host", "ssh://root@127.0.0.1" in scr, scr)
    w.keys("y")
    return w.wait("Dry run, nothing defined yet", timeout=600)


def restore_screen(c, w):
    scr = w.screen()
    c.true("a: the dry run refuses web01 (the second host has one)",
           "REFUSED: domain web01:" in scr, scr)
    w.keys("e")
    scr = w.wait("allow emulation: YES", timeout=120)
    w.keys("r")
    w.wait("Which rescued VM")
    w.type("web01")
    w.keys("Enter")
    w.wait("New name for web01")
    w.type("web01-rescued")
    w.keys("Enter")
    scr = w.wait("renamed: web01 as web01-rescued", timeout=120)
    scr = w.wait("Dry run, nothing defined yet", timeout=120)
    c.true("a: renamed, web01 is no longer refused", "REFUSED: domain web01:" not in scr, scr)
    w.keys("Enter")
    scr = w.wait("Define the 3 rescued VM")
    c.true("a: the question says emulated", "EMULATED" in scr, scr)
    w.keys("y")
    scr = w.wait(r"Restored \(exit", timeout=600)
    c.true("a: the restore's report is shown", "Restored (exit 0)" in scr, scr)
    w.keys("Enter")
    scr = w.wait("Enter/q: leave the wizard")
    w.keys("Enter")


def defined_there(c, what, lv):
    names = set(lv.virsh("list", "--all", "--name", check=True).stdout.split())
    for vm in ("app01", "mail01", "web01-rescued"):
        c.true(f"{what}: {vm} is defined on the second host", vm in names, str(names))
    xml = lv.virsh("dumpxml", "web01").stdout
    c.true(f"{what}: the second host's own web01 is untouched", "0b0b0b0b-1111" in xml
           and "<disk" not in xml, xml[:600])


def images_there(c, what, lv, expected, plan):
    rebased = {i["source"] for i in plan["items"] if i["new_backing_name"]}
    dests = {i["source"]: f'{plan["layout"]["images_dir"]}/{i["dest"]}' for i in plan["items"]}
    c.true(f"{what}: every image of the old host is in the plan", set(expected) <= set(dests),
           str(sorted(dests)))
    for old, digest in expected.items():
        if old in rebased or old not in dests:
            continue  # its header names the new backing place (remote_copy checks it)
        dest = dests[old]
        got = rc.remote(lv, f"sha256sum {lvd.t_quote(dest)} | cut -c1-64").strip()
        c.eq(f"{what}: the second host's sha256sum of {dest}", got, digest)


def case_wizard(c, binary, story, s, lv, work, expected):
    key = os.path.join(work, "id_ed25519")
    shutil.copy(s.path("client_ed25519_key"), key)
    os.chmod(key, 0o600)
    log = os.path.join(work, "session.log")
    w = wt.Term("remote", in_namespace(s, [binary, "wizard", story, "--answer-dir", work,
                                            "--log", log]), 80, 24, "xterm", work)
    try:
        form = to_target(c, w)
        c.true("a: no address yet in the namespace", "no address yet" in form, form)
        network_screen(c, w, s)
        remote_form(c, w, s, key)
        review_and_copy(c, w, work)
        restore_screen(c, w)
        c.eq("a: exit code", w.exit_code(), 0)
    finally:
        w.close()
    plan_file = os.path.join(work, "kvm-rescue-plan.json")
    plan = cl.load(plan_file)
    defined_there(c, "a", lv)
    images_there(c, "a", lv, expected, plan)
    c.eq("a: the answer file names the key beside it", plan["target"]["identity"], "id_ed25519")
    c.eq("a: the answer file's network", plan["target"]["network"],
         {"nic": "kvmrv0", "method": "static", "address": PORT_ADDRESS, "gateway": "",
          "dns": ""})
    c.eq("a: the answer file's restore choices", plan["restore"],
         {"start": False, "allow_emulation": True,
          "renames": [{"from": "web01", "to": "web01-rescued"}]})
    with open(log, encoding="utf-8") as f:
        text = f.read()
    c.true("a: the session log has the restore", "restore on ssh://" in text, text[-2000:])
    return plan_file


def case_replay(c, binary, s, lv, plan_file, expected):
    for vm in ("app01", "mail01", "web01-rescued"):
        lv.virsh("undefine", "--nvram", "--snapshots-metadata", vm, check=True)
    # The second host's image directory (a tmpfs of the test) held only the run's files.
    rc.remote(lv, f"find {IMAGES} -mindepth 1 -delete")
    s.enter(["ip", "addr", "flush", "dev", "kvmrv0"], check=True)
    code, last = wt.unattended("replay", in_namespace(s, [binary, "wizard", "--replay", plan_file]),
                               os.path.dirname(plan_file), 600)
    c.true("b: the replay's exit code is 0", code == 0, f"exit {code}\n{last}")
    c.true("b: the replay set the address up again", PORT_ADDRESS in address_on_port(s))
    defined_there(c, "b", lv)
    images_there(c, "b", lv, expected, cl.load(plan_file))


def second_host(c, binary, story, work, expected):
    with lvd.Libvirtd(work) as lv:
        rc.prepare_second_host(lv, work)
        theirs = lv.outside("/tmp/their-web01.xml")
        with open(theirs, "w", encoding="utf-8") as f:
            f.write(THEIR_WEB01)
        lv.virsh("define", "/tmp/their-web01.xml", check=True)
        with sshd.Sshd(work, libvirtd=lv) as s:
            ports(s)
            plan_file = case_wizard(c, binary, story, s, lv, work, expected)
            case_replay(c, binary, s, lv, plan_file, expected)
            rc.no_sshfs_left(c, "at the end")


def main():
    t.require_root_and_loop()
    t.require_tools("sshfs", "ssh-keyscan", "fusermount3", "tmux")
    lvd.require()
    sshd.require()
    binary = t.env_path("KVMR_BIN")
    story = t.fixture("story.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="rw.", dir=os.path.dirname(story))  # short: socket paths
    try:
        with t.SystemState(work) as sys_state:
            before = t.sha256(story)
            expected = rc.old_images(binary, story, work)
            second_host(c, binary, story, work, expected)
            c.eq("the source image is unchanged", t.sha256(story), before)
            sys_state.check()
    finally:
        subprocess.run(["tmux", "-L", wt.SOCKET, "kill-server"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
