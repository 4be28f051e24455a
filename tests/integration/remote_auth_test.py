#!/usr/bin/env python3
"""The network target's logins (issue 22): a non-root user with passwordless
sudo, a password instead of a key, and the refusals, against the test's own
second host (kvmr_sshd.py in password mode beside kvmr_libvirtd.py, as in
remote_copy_test.py; kvm-rescue runs in their network namespace).

- "rescuer", logging in with a key, with passwordless sudo: plan and copy
  --restore --allow-emulation work; the files on the second host are owned
  by root (sftp-server runs through sudo), the domains are defined.
- root by password (--password-stdin, one line): plan and copy work. The
  password appears nowhere: not in plan.json, not in any file the run left
  on the second host, not in `ps -eo args` sampled all through the copy,
  and nothing at all is left under /run/kvm-rescue.
- root by password on a terminal (a pty): asked once ("root@HOST's
  password: "), not echoed, the plan made.
- A wrong password: exit code 2, "refused the password".
- "plain", a user without passwordless sudo: the plan is refused (exit 2)
  with the reason.
- No key, no --password-stdin, no terminal: refused (exit 2), naming both.
The source image is unchanged; nothing is left mounted or running.
"""
import glob
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_copylib as cl  # noqa: E402
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_sshd as sshd  # noqa: E402
import kvmr_testlib as t  # noqa: E402
import remote_copy_test as rc  # noqa: E402

PASSWORD = "Kvmr-Pw 'q' $(x) パス"
BY_KEY = f"{rc.IMAGES}/by-key"
BY_PASSWORD = f"{rc.IMAGES}/by-password"


def target(s, user, directory):
    return f"ssh://{user}@127.0.0.1:{s.port}{directory}"


def plan_argv(binary, story, s, user, directory, plan, key=True):
    argv = [binary, "plan", story, "--target", target(s, user, directory),
            "--host-key", s.host_key_fingerprint(), "-o", plan]
    return argv + (["--identity", s.path("client_ed25519_key")] if key else [])


def by_key_with_sudo(c, binary, story, s, lv, work):
    plan = os.path.join(work, "rescuer.json")
    p = s.enter(plan_argv(binary, story, s, "rescuer", BY_KEY, plan), timeout=600)
    if not cl.exit_code_is(c, "rescuer (key, passwordless sudo): plan exit code", p, 0):
        return
    p = s.enter([binary, "copy", "--plan", plan, "--restore", "--allow-emulation"], timeout=600)
    cl.exit_code_is(c, "rescuer: copy --restore exit code", p, 0)
    files = [f for f in glob.glob(lv.outside(f"{BY_KEY}/**"), recursive=True)
             if os.path.isfile(f)]
    c.true("rescuer: the copy is on the second host", len(files) > 3, str(files))
    owners = {os.stat(f).st_uid for f in files}
    c.eq("rescuer: every file there is owned by root", owners, {0})
    names = set(lv.virsh("list", "--all", "--name", check=True).stdout.split())
    for vm in ("app01", "mail01", "web01"):
        c.true(f"rescuer: {vm} is defined on the second host", vm in names, p.stdout[-1500:])


def sample_ps(stop, seen):
    while not stop.is_set():
        seen.append(subprocess.run(["ps", "-eo", "args"], capture_output=True,
                                   text=True).stdout)
        stop.wait(0.05)


def by_password(c, binary, story, s, lv, work):
    plan = os.path.join(work, "root.json")
    p = s.enter(plan_argv(binary, story, s, "root", BY_PASSWORD, plan, key=False)
                + ["--password-stdin"], input=PASSWORD + "\n", timeout=600)
    if not cl.exit_code_is(c, "root by password: plan exit code", p, 0):
        return
    with open(plan, "rb") as f:
        c.true("the password is not in plan.json", PASSWORD.encode() not in f.read())
    seen, stop = [], threading.Event()
    sampler = threading.Thread(target=sample_ps, args=(stop, seen))
    sampler.start()
    try:
        p = s.enter([binary, "copy", "--plan", plan, "--allow-emulation", "--password-stdin"],
                    input=PASSWORD + "\n", timeout=600)
    finally:
        stop.set()
        sampler.join()
    cl.exit_code_is(c, "root by password: copy exit code", p, 0)
    c.true("the copy ran its restore's dry run", "dry run" in p.stdout, p.stdout[-1500:])
    c.true("ps was sampled while the copy ran", len(seen) > 10, len(seen))
    c.true("ssh ran while ps was sampled", any("ControlMaster" in x for x in seen))
    c.eq("the password in `ps -eo args`", [x for x in seen if PASSWORD in x], [])
    files = [f for f in glob.glob(lv.outside(f"{BY_PASSWORD}/**"), recursive=True)
             if os.path.isfile(f)]
    c.true("the report is on the second host",
           any(f.endswith("kvm-rescue/report.txt") for f in files), str(files))
    holding = [f for f in files if PASSWORD.encode() in open(f, "rb").read()]
    c.eq("files on the second host that hold the password", holding, [])
    c.eq("output that holds the password", PASSWORD in p.stdout + p.stderr, False)
    left = sorted(glob.glob("/run/kvm-rescue/**", recursive=True))
    c.eq("what is left under /run/kvm-rescue", [x for x in left if x != "/run/kvm-rescue/"], [])


def on_terminal(argv, answer, seconds=300):
    """ARGV on a pty; ANSWER typed once it asks for a password. Returns
    (exit code, everything it wrote to the terminal)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    out, sent, end = b"", False, time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            if not select.select([fd], [], [], 1)[0]:
                continue
            try:
                b = os.read(fd, 4096)
            except OSError:  # EIO: the program ended
                break
            if not b:
                break
            out += b
            if not sent and b"password: " in out:
                os.write(fd, answer.encode() + b"\n")
                sent = True
    finally:
        if time.monotonic() >= end:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def asked_on_terminal(c, binary, story, s, work):
    plan = os.path.join(work, "tty.json")
    argv = plan_argv(binary, story, s, "root", BY_PASSWORD, plan, key=False)
    code, out = on_terminal(s._nsenter() + argv, PASSWORD)
    c.eq("root by password on a terminal: plan exit code", code, 0)
    c.eq("it asks once", out.count("root@127.0.0.1's password: "), 1)
    c.true("the password is not echoed", PASSWORD not in out, out[-800:])
    c.true("the plan is written", os.path.isfile(plan))


def refusals(c, binary, story, s, work):
    plan = os.path.join(work, "refused.json")
    p = s.enter(plan_argv(binary, story, s, "root", BY_PASSWORD, plan, key=False)
                + ["--password-stdin"], input=PASSWORD + "x\n", timeout=600)
    c.eq("a wrong password: exit code", p.returncode, 2)
    c.true("it says the password was refused",
           f"root@127.0.0.1:{s.port} refused the password" in p.stderr, p.stderr[-800:])
    p = s.enter(plan_argv(binary, story, s, "plain", BY_KEY, plan), timeout=600)
    c.eq("a user without passwordless sudo: exit code", p.returncode, 2)
    c.true("it says that user cannot run sudo without a password",
           "plain on 127.0.0.1 cannot run sudo without a password" in p.stderr, p.stderr[-800:])
    p = s.enter(plan_argv(binary, story, s, "root", BY_PASSWORD, plan, key=False),
                stdin=subprocess.DEVNULL, timeout=600)
    c.eq("neither key nor password (no terminal): exit code", p.returncode, 2)
    c.true("it names --identity and --password-stdin",
           "--identity FILE" in p.stderr and "--password-stdin" in p.stderr, p.stderr[-800:])
    c.true("no plan was written", not os.path.exists(plan))


def second_host(c, binary, story, work):
    with lvd.Libvirtd(work) as lv:
        lv.run(["mount", "-t", "tmpfs", "-o", "size=400m,mode=0755", "kvmr-remote", rc.IMAGES],
               check=True)
        mid = os.path.join(work, "machine-id")
        with open(mid, "w", encoding="ascii") as f:
            f.write(rc.MACHINE_ID)
        lv.run(["mount", "--bind", mid, "/etc/machine-id"], check=True)
        with sshd.Sshd(work, libvirtd=lv, password=PASSWORD,
                       users={"rescuer": True, "plain": False}) as s:
            refusals(c, binary, story, s, work)
            asked_on_terminal(c, binary, story, s, work)
            # The password's copy runs the restore's dry run only: first,
            # while the second host has none of the domains yet.
            by_password(c, binary, story, s, lv, work)
            by_key_with_sudo(c, binary, story, s, lv, work)
            rc.no_sshfs_left(c, "at the end")


def main():
    t.require_root_and_loop()
    t.require_tools("sshfs", "ssh-keyscan", "fusermount3", "ps", "sudo")
    lvd.require()
    sshd.require()
    binary = t.env_path("KVMR_BIN")
    story = t.fixture("story.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="ra.", dir=os.path.dirname(story))  # short: the socket path
    try:
        with t.SystemState(work) as sys_state:
            before = t.sha256(story)
            second_host(c, binary, story, work)
            c.eq("the source image is unchanged", t.sha256(story), before)
            sys_state.check()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
