#!/usr/bin/env python3
"""The network target (issue 22): the story's dead host rescued straight onto
a second KVM host over SSH, with its faults.

The second host is this machine's own sshd and libvirtd, started by the test
in private namespaces (kvmr_sshd.py beside kvmr_libvirtd.py), reached over
loopback only; it gets a machine-id of its own and a 100 MiB tmpfs at
/var/lib/libvirt/images (its libvirt has no default pool, so the run goes
there). kvm-rescue runs in that network namespace.

- The host key is never taken on trust: without --host-key the plan stops
  and names the fingerprint the host offers; a wrong one is refused.
- A file the run did not write (a web01.img of the second host's own) sends
  the whole run to rescued-<old hostname>/, and stays as it was.
- The copy is cut mid-way (every SSH connection killed): it stops with the
  reason, leaving no mount and no final name for what is not verified; a
  rerun with the remote disk full stops with "No space left"; once space is
  freed a rerun resumes (the interrupted item continues) and completes.
- Each image on the second host has the sha256 of the old disk's file (read
  through `kvm-rescue mount-ro`, hashed by the remote's own sha256sum) and
  keeps its holes; the restore's dry run is shown, then `--restore
  --allow-emulation` defines every domain there.
- The host key changed: refused, nothing sent.
- A host that is this machine (same /etc/machine-id) without libvirt is
  refused for both reasons.
The source image is unchanged; nothing is left mounted or running.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_copylib as cl  # noqa: E402
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_sshd as sshd  # noqa: E402
import kvmr_testlib as t  # noqa: E402

IMAGES = "/var/lib/libvirt/images"
MACHINE_ID = "5ec0dd0a11ce4e5a8d0c0ffee0000022\n"
OLD_HOSTNAME = "kvmhost01.example.jp"
RESCUED = f"{IMAGES}/rescued-{OLD_HOSTNAME}"
FOREIGN = b"the second host's own web01.img\n"
HOST_MARK_BEFORE = [None]  # what /var/lib/kvm-rescue held here before the test


def old_images(binary, story, work):
    """{path on the old host: sha256} of the story's image files, read
    through kvm-rescue mount-ro (not through the copy under test)."""
    out = {}
    with cl.SourceTree(binary, story, os.path.join(work, "old-root")) as root:
        d = os.path.join(root, IMAGES.lstrip("/"))
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                out[f"{IMAGES}/{n}"] = t.file_sha256(p)
    return out


def host_state_files():
    """What the restore writes by default on the host it runs on, as it is
    on this machine (the second host shares its /var/lib and /var/log)."""
    out = []
    for top in ("/var/lib/kvm-rescue",):
        for d, _, files in os.walk(top):
            out += [(os.path.join(d, f), os.stat(os.path.join(d, f)).st_mtime_ns) for f in files]
    log = "/var/log/kvm-rescue-restore.log"
    if os.path.exists(log):
        out.append((log, os.stat(log).st_mtime_ns))
    return sorted(out)


def ssh_args(s, fp):
    return ["--host-key", fp, "--identity", s.path("client_ed25519_key")]


def url(s):
    return f"ssh://root@127.0.0.1:{s.port}"


def remote(lv, script):
    return lv.run(["sh", "-c", script], check=True).stdout


def no_sshfs_left(c, what):
    mounts = open("/proc/mounts", encoding="utf-8").read()
    c.true(f"{what}: no sshfs mount is left", "fuse.sshfs" not in mounts, mounts[-800:])
    left = glob.glob("/run/kvm-rescue/remote-*") + glob.glob("/run/kvm-rescue/ssh-*")
    c.eq(f"{what}: no mount point or private directory of the run is left", left, [])
    ps = subprocess.run(["pgrep", "-x", "sshfs"], capture_output=True, text=True).stdout
    c.eq(f"{what}: no sshfs process is left", ps.strip(), "")


def host_key_checks(c, binary, story, s, work):
    plan = os.path.join(work, "unused.json")
    p = s.enter([binary, "plan", story, "--target", url(s), "--identity",
                 s.path("client_ed25519_key"), "-o", plan], timeout=600)
    c.eq("plan without a confirmed host key: exit code", p.returncode, 2)
    c.true("it names the fingerprint the host offers", s.host_key_fingerprint() in p.stderr,
           p.stderr[-600:])
    wrong = "SHA256:" + "A" * 43
    p = s.enter([binary, "plan", story, "--target", url(s), *ssh_args(s, wrong), "-o", plan],
                timeout=600)
    c.eq("plan with another fingerprint: exit code", p.returncode, 2)
    c.true("it says the host key differs", "not " + wrong in p.stderr, p.stderr[-600:])
    c.true("no plan was written", not os.path.exists(plan))
    p = s.enter([binary, "plan", story, "--target", url(s), "--known-hosts", s.path("known_hosts"),
                 "--identity", s.path("client_ed25519_key")], timeout=600)
    c.eq("plan with a known_hosts file that names the host: exit code", p.returncode, 0)
    c.true("the plan names the known_hosts file it trusted",
           "as in " + s.path("known_hosts") in " ".join(p.stdout.split()), p.stdout[:800])


def make_plan(c, binary, story, s, lv, work):
    remote(lv, f"printf %s {lvd.t_quote(FOREIGN.decode())} > {IMAGES}/web01.img")
    plan = os.path.join(work, "plan.json")
    p = s.enter([binary, "plan", story, "--target", url(s), *ssh_args(s, s.host_key_fingerprint()),
                 "-o", plan], timeout=600)
    if not cl.exit_code_is(c, "plan exit code", p, 0):
        return None
    c.true("the plan says why the run goes to rescued-<old hostname>/",
           f"already holds web01.img: the whole run goes to {RESCUED}" in p.stderr, p.stderr)
    c.true("the plan text says where the run goes there",
           f"on that host the run goes to {RESCUED}" in " ".join(p.stdout.split()),
           p.stdout[:1500])
    c.true("the plan text has no kickstart part", "New host (kickstart)" not in p.stdout)
    k = t.run([binary, "kickstart", "--plan", plan], timeout=120)
    c.eq("kickstart for a plan to another host: exit code", k.returncode, 2)
    c.true("it says copy --restore defines the VMs there", "--restore" in k.stderr, k.stderr)
    r = t.run([binary, "rescue", story, "--target", url(s)], timeout=120)
    c.eq("rescue --target ssh://: exit code", r.returncode, 2)
    c.true("it points to plan and copy", "kvm-rescue plan --target" in r.stderr, r.stderr)
    doc = cl.load(plan)
    c.eq("the plan's directory on the second host", doc["layout"]["images_dir"], RESCUED)
    c.eq("the plan's target kind", doc["target"]["kind"], "remote")
    c.true("the answer file holds no password or secret login",
           doc["kickstart"]["old_logins"]["root_hash"] == "", str(doc["kickstart"]))
    return plan


def cut_once(s):
    """Every connection there is now cut, as by a dropped link (kvm-rescue
    may connect again afterwards to find out why)."""
    for pid in s.session_pids():
        sshd._kill(pid, signal.SIGKILL)


def stop(proc):
    """PROC asked to stop as Ctrl-C would, so it releases what it holds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def cut_mid_copy(c, binary, plan, s, lv):
    """The copy, slowed down, has its connections killed once a resume
    state exists on the second host."""
    argv = s._nsenter() + [binary, "copy", "--plan", plan, "--max-rate", "1M"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state = lv.outside(f"{RESCUED}/kvm-rescue/state")
    try:
        t.wait_for(lambda: proc.poll() is not None
                   or glob.glob(f"{state}/**/*.partial.state", recursive=True),
                   "a resume state on the second host", seconds=120)
        c.true("the copy was still running when the connection was cut", proc.poll() is None)
        cut_once(s)
        out, err = proc.communicate(timeout=120)
    except BaseException:
        stop(proc)
        raise
    c.true("the cut copy exits with an error", proc.returncode not in (0, None),
           f"exit {proc.returncode}")
    c.true("it says the connection or the target gave out",
           any(w in err + out for w in ("connection", "Transport endpoint", "Input/output",
                                        "Software caused")), (err + out)[-1200:])
    no_sshfs_left(c, "after the cut")
    partial = glob.glob(lv.outside(f"{RESCUED}/**/*.partial"), recursive=True)
    c.true("an unverified copy is left as .partial", bool(partial))
    for p in partial:
        c.true(f"no final name beside {os.path.basename(p)}", not os.path.exists(p[:-8]))
    return [p[len(lv.outside(RESCUED)) + 1:-8] for p in partial]


def disk_full(c, binary, plan, s, lv):
    """A rerun (resumed: no space check) with the second host's disk full."""
    remote(lv, f"dd if=/dev/zero of={IMAGES}/filler bs=1M count=100 2>/dev/null || true")
    p = s.enter([binary, "copy", "--plan", plan], timeout=600)
    c.true("copy onto a full disk exits with an error", p.returncode != 0, f"exit {p.returncode}")
    c.true("it says the disk is full", "is full" in p.stdout + p.stderr,
           (p.stdout + p.stderr)[-1500:])
    no_sshfs_left(c, "after the full disk")
    report = lv.outside(f"{RESCUED}/kvm-rescue/report.json")
    if os.path.exists(report):
        c.true("the report does not call it complete",
               cl.load(report).get("exit_code", 0) != 0 or "fail" in open(report).read())
    remote(lv, f"rm -f {IMAGES}/filler")


def resume_and_check(c, binary, plan, s, lv, cut_items, expected):
    # --allow-emulation: the dry run on a machine without KVM would stop;
    # --rename reaches the restore there as two words, a name's quotes and '=' kept
    new = 'メール "1" $(x)=y'
    p = s.enter([binary, "copy", "--plan", plan, "--allow-emulation", "--rename", "mail01", new],
                timeout=600)
    if not cl.exit_code_is(c, "the rerun's exit code", p, 0):
        return False
    c.true("the restore's dry run is shown", "dry run" in p.stdout, p.stdout[-1500:])
    c.true("the dry run renames mail01 as asked",
           f"rename: domain mail01 is defined as {new}: {new} is free on this host" in p.stdout,
           p.stdout[-1500:])
    steps = cl.load(lv.outside(f"{RESCUED}/kvm-rescue/report.json"))["next_steps"]
    c.true("the report's next step is copy --restore, not a kickstart",
           any("--restore" in x for x in steps) and not any("kickstart" in x for x in steps),
           str(steps))
    manifest = cl.load(lv.outside(f"{RESCUED}/kvm-rescue/manifest.json"))
    items = {i["dest"]: i for i in manifest["items"]}
    web = items.get(f"relocated{IMAGES}/web01.img", {})
    c.true("the manifest gives web01.img's allocation on the second host, not its size",
           0 < web.get("allocated_bytes", 0) < web.get("size", 0) // 8, str(web))
    for dest in cut_items:
        c.true(f"{dest} continued the interrupted copy", items.get(dest, {}).get("resumed"),
               str(items.get(dest)))
    rebased = {i["source"]: i["new_backing_name"] for i in cl.load(plan)["items"]
               if i["new_backing_name"]}
    for old, digest in expected.items():
        dest = f"{RESCUED}/relocated{old}"
        if old in rebased:
            # Its backing file moved too: the header names the new place.
            info = json.loads(remote(lv, f"qemu-img info --output=json -U {lvd.t_quote(dest)}"))
            c.eq(f"{dest}'s backing file on the second host", info.get("backing-filename"),
                 rebased[old])
            continue
        got = remote(lv, f"sha256sum {lvd.t_quote(dest)} | cut -c1-64").strip()
        c.eq(f"the second host's sha256sum of {dest}", got, digest)
    blocks = remote(lv, f"stat -c '%b %B %s' {RESCUED}/relocated{IMAGES}/web01.img").split()
    c.true("web01.img keeps its holes on the second host",
           int(blocks[0]) * int(blocks[1]) < int(blocks[2]) // 8, str(blocks))
    c.eq("the second host's own web01.img is untouched",
         open(lv.outside(f"{IMAGES}/web01.img"), "rb").read(), FOREIGN)
    return True


def restore_there(c, binary, plan, s, lv):
    p = s.enter([binary, "copy", "--plan", plan, "--restore", "--allow-emulation"], timeout=900)
    cl.exit_code_is(c, "copy --restore exit code", p, 0)
    c.true("the restore's report is beside the copy's on the second host",
           os.path.isfile(lv.outside(f"{RESCUED}/kvm-rescue/restore-report.txt")))
    c.eq("nothing of the restore lands on this machine (/var/lib/kvm-rescue, its log)",
         host_state_files(), HOST_MARK_BEFORE[0])
    c.true("the restore's report is shown after the copy's",
           "the rescued VMs on this host" in p.stdout, p.stdout[-2000:])
    names = set(lv.virsh("list", "--all", "--name", check=True).stdout.split())
    for vm in ("app01", "mail01", "web01"):
        c.true(f"{vm} is defined on the second host", vm in names, p.stdout[-2000:])
    xml = lv.virsh("dumpxml", "web01").stdout
    c.true("web01's disk is where the run put it", f"{RESCUED}/relocated{IMAGES}/web01.img" in xml,
           xml[-1500:])


def changed_host_key(c, binary, plan, s):
    s.new_host_key()
    p = s.enter([binary, "copy", "--plan", plan], timeout=600)
    c.eq("copy after the host key changed: exit code", p.returncode, 2)
    c.true("it says the host key changed", "host key" in p.stderr and "changed" in p.stderr,
           p.stderr[-800:])


def prepare_second_host(lv, work):
    """The second host's own: a 100 MiB tmpfs at its image directory, and a
    machine-id that is not this machine's."""
    lv.run(["mount", "-t", "tmpfs", "-o", "size=100m,mode=0755", "kvmr-remote", IMAGES],
           check=True)
    mid = os.path.join(work, "machine-id")
    with open(mid, "w", encoding="ascii") as f:
        f.write(MACHINE_ID)
    lv.run(["mount", "--bind", mid, "/etc/machine-id"], check=True)


def second_host(c, binary, story, work, expected):
    with lvd.Libvirtd(work) as lv:
        prepare_second_host(lv, work)
        with sshd.Sshd(work, libvirtd=lv) as s:
            host_key_checks(c, binary, story, s, work)
            plan = make_plan(c, binary, story, s, lv, work)
            if plan is None:
                return
            cut = cut_mid_copy(c, binary, plan, s, lv)
            disk_full(c, binary, plan, s, lv)
            if resume_and_check(c, binary, plan, s, lv, cut, expected):
                restore_there(c, binary, plan, s, lv)
            changed_host_key(c, binary, plan, s)
            no_sshfs_left(c, "at the end")


def same_machine(c, binary, story, work):
    """This machine's own sshd, without libvirt running: refused twice over."""
    with sshd.Sshd(os.path.join(work, "same")) as s:
        p = s.enter([binary, "plan", story, "--target", url(s),
                     *ssh_args(s, s.host_key_fingerprint())], timeout=600)
        c.eq("plan onto this machine: exit code", p.returncode, 2)
        c.true("it says the host is this machine", "is this machine" in p.stderr, p.stderr)
        c.true("it says libvirt does not answer there",
               "does not answer" in p.stderr or "no libvirt" in p.stderr, p.stderr)
        no_sshfs_left(c, "same machine")


def main():
    t.require_root_and_loop()
    t.require_tools("sshfs", "ssh-keyscan", "fusermount3")
    lvd.require()
    sshd.require()
    binary = t.env_path("KVMR_BIN")
    story = t.fixture("story.img")
    c = t.Checker()
    base = os.path.dirname(story)
    work = tempfile.mkdtemp(prefix="rc.", dir=base)  # short: the control socket's path
    try:
        with t.SystemState(work) as sys_state:
            before = t.sha256(story)
            HOST_MARK_BEFORE[0] = host_state_files()
            expected = old_images(binary, story, work)
            second_host(c, binary, story, work, expected)
            same_machine(c, binary, story, work)
            c.eq("the source image is unchanged", t.sha256(story), before)
            sys_state.check()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
