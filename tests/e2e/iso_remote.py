#!/usr/bin/env python3
"""End to end: the Debian rescue ISO rescues the dead host straight onto a
second KVM host over SSH (issue 22), driven over the serial console.

    iso_remote.py remote   (c) the wizard: Target "another KVM host over
                           the network (SSH)", DHCP on the NIC, the address,
                           password login, copy, restore there
    iso_remote.py shell    the same machine and second host with
                           kvm-rescue.shell: DHCP, then ssh-keyscan and a
                           password login to the second host from the shell
                           (the harness alone; not registered with ctest)

The second host is as in integration.remote_copy: a private libvirtd
(tests/integration/kvmr_libvirtd.py) with the test's sshd beside it
(kvmr_sshd.py, password login for root), a machine-id of its own, a tmpfs
at /var/lib/libvirt/images and at /var/lib/kvm-rescue, and no KVM
(kvmr_bootvms.hide_kvm): the restore must adapt the domains
(allow emulation). qemu itself runs in that network namespace (nsenter -n,
the pane's command in tmux): the guest's user-mode network (slirp, a
virtio-net NIC) reaches the namespace's 127.0.0.1 as 10.0.2.2, and the
namespace has loopback only, so that sshd is the only thing the guest can
reach. The machine (q35, TCG when KVM does not boot a guest here) has the
ISO as a DVD and the dead host's disk as SATA (a qcow2 overlay over
build/fixtures/story.img); no data disk, no OS disk.

(c) BIOS boot through GRUB; Welcome, Disks, Old host (the SATA disk), VMs
    (all three), Target: the last row, another KVM host over SSH; Remote
    host: Network (DHCP on the NIC: 10.0.2.15/24), Address
    ssh://root@10.0.2.2:PORT, Login empty (password); connect: the host
    key's fingerprint shown is the sshd's (accepted), the password typed;
    Review, Start, the copy; Remote restore: the dry run there, allow
    emulation on, Restore, its report; Done; Enter at the closing prompt
    powers off.
Then, from outside: every domain of the old host is defined on the second
host (virsh list --all there), every copied image there has the sha256 of
the old disk's file (read through kvm-rescue mount-ro), the fixture is
unchanged and its overlay got no write, and nothing is left running or
mounted (qemu, tmux, the namespaces, loop devices).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import iso_test as it  # noqa: E402  (puts tests/integration and iso on sys.path)
import kvmr_bootvms as bv  # noqa: E402
import kvmr_copylib as copylib  # noqa: E402
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_sshd as sshd  # noqa: E402
import kvmr_testlib as t  # noqa: E402
import remote_copy_test as rc  # noqa: E402
from qemu_accel import qemu_accel  # noqa: E402

IMAGES = rc.IMAGES
MACHINE_ID = "5ec0dd0a11ce4e5a8d0c0ffee00e2e22\n"
PASSWORD = "e2e pass'word 22"
GUEST_ADDRESS = "10.0.2.15"
HOST_ADDRESS = "10.0.2.2"  # slirp's alias for the namespace's 127.0.0.1
VMS = ("app01", "mail01", "web01")


class RemoteMachine(it.Machine):
    """The ISO, the old host's disk and one virtio-net NIC on slirp; qemu
    run in the second host's network namespace (NSENTER)."""

    def __init__(self, work, fixture, name):  # pylint: disable=super-init-not-called
        self.work, self.name = work, name
        self.overlay = os.path.join(work, f"{name}-old-host.qcow2")
        t.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", fixture,
               self.overlay], check_rc=0)
        self.log = os.path.join(work, f"{name}-serial.log")

    def start(self, iso, extra, nsenter=()):
        accel = qemu_accel()
        argv = [*nsenter, "qemu-system-x86_64", "-machine", f"q35,accel={accel}",
                "-m", "2048", "-smp", "2", "-display", "none", "-serial", "stdio",
                "-monitor", "none", "-no-reboot",
                "-drive", f"file={iso},media=cdrom,readonly=on,if=none,id=cd",
                "-device", "ide-cd,drive=cd,bus=ide.2",
                "-drive", f"file={self.overlay},format=qcow2,if=none,id=old",
                "-device", "ide-hd,drive=old,bus=ide.0,serial=KVMR-OLD-HOST",
                "-netdev", "user,id=net0",
                "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:00:22:01", *extra]
        it.tmux("kill-session", "-t", it.SESSION, check=False)
        cmd = subprocess.list2cmdline(argv) + f" 2>{self.work}/{self.name}-qemu.err"
        print(f"qemu ({accel}): {cmd}", flush=True)
        it.tmux("new-session", "-d", "-s", it.SESSION, "-x", "80", "-y", "24", cmd)
        it.tmux("pipe-pane", "-t", it.SESSION, f"cat >> {self.log}")
        return time.monotonic()

    def qemu_err(self):
        try:
            with open(os.path.join(self.work, f"{self.name}-qemu.err"), encoding="utf-8",
                      errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""


def second_host(lv, work):
    """LV made the second host, before sshd starts (its sessions see the
    mounts there were then): images on a tmpfs, its own machine-id and
    /var/lib/kvm-rescue, no KVM."""
    lv.run(["mount", "-t", "tmpfs", "-o", "size=1g,mode=0755", "kvmr-remote", IMAGES],
           check=True)
    mid = os.path.join(work, "machine-id")
    with open(mid, "w", encoding="ascii") as f:
        f.write(MACHINE_ID)
    lv.run(["mount", "--bind", mid, "/etc/machine-id"], check=True)
    lv.tmpfs("/var/lib/kvm-rescue")
    bv.hide_kvm(lv)


def direct_boot(iso, work, more):
    """The ISO's kernel and initramfs with its GRUB command line plus MORE."""
    kernel = it.extract(iso, "/boot/vmlinuz", os.path.join(work, "vmlinuz"))
    initrd = it.extract(iso, "/boot/initrd.img", os.path.join(work, "initrd.img"))
    with open(it.extract(iso, "/boot/grub/grub.cfg", os.path.join(work, "grub.cfg")),
              encoding="utf-8") as f:
        line = next(ln for ln in f if ln.strip().startswith("linux "))
    args = line.split(None, 2)[2].strip() + " " + more
    return ["-kernel", kernel, "-initrd", initrd, "-append", args]


def shell_run(command, pattern, timeout, what):
    """COMMAND typed at the guest's shell; waits for PATTERN."""
    it.type_text(command)
    it.keys("Enter")
    return it.wait(pattern, timeout, what)


def case_shell(c, iso, s, m, work):
    """kvm-rescue.shell: the NIC's driver, DHCP, the host key and a
    password login to the second host, all from the guest's shell."""
    started = m.start(iso, direct_boot(iso, work, "kvm-rescue.shell"), s._nsenter())
    it.wait(r"root@kvm-rescue:/#", 240, "the shell prompt")
    print(f"shell: the prompt after {time.monotonic() - started:.1f} s", flush=True)
    shell_run("clear; IF=$(ls /sys/class/net | grep -vx lo | head -n1); echo NIC=$IF.",
              r"NIC=\w+\.", 30, "the NIC's name")
    nic = re.search(r"NIC=(\w+)\.", it.screen()).group(1)
    scr = shell_run(f"clear; kvm-rescue network --dhcp {nic}; echo DHCP-RC=$?.",
                    r"DHCP-RC=\d+\.", 120, "DHCP")
    c.true("shell: DHCP gives the guest qemu's user-mode address",
           f"{GUEST_ADDRESS}/24" in scr and "DHCP-RC=0." in scr, scr)
    scr = shell_run(f"clear; ssh-keyscan -p {s.port} -t ed25519 {HOST_ADDRESS} 2>/dev/null"
                    " | ssh-keygen -E sha256 -lf - ; echo SCAN-RC=$?.",
                    r"SCAN-RC=\d+\.", 60, "ssh-keyscan")
    c.true("shell: the second host's sshd answers at 10.0.2.2 with its own host key",
           s.host_key_fingerprint() in scr, scr)
    shell_login(c, s)
    it.type_text("poweroff")
    it.keys("Enter")
    c.true("shell: the machine powers off", it.wait_poweroff(60), it.screen())


def shell_login(c, s):
    """ssh as root with the password, typed at ssh's prompt."""
    shell_run(f"clear; ssh -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/kh "
              f"-p {s.port} root@{HOST_ADDRESS} 'cat /etc/machine-id'; echo SSH-RC=$?.",
              r"[Pp]assword:", 60, "ssh's password prompt")
    it.type_text(PASSWORD)
    it.keys("Enter")
    scr = it.wait(r"SSH-RC=\d+\.", 60, "the login")
    c.true("shell: root logs in to the second host with the password and sees its machine-id",
           MACHINE_ID.strip() in scr and "SSH-RC=0." in scr, scr)


def with_second_host(c, binary, iso, fixture, work, case):
    fixture_hash = t.sha256(fixture)
    m = RemoteMachine(work, fixture, "c")
    with lvd.Libvirtd(work) as lv:
        second_host(lv, work)
        with sshd.Sshd(work, libvirtd=lv, password=PASSWORD) as s:
            try:
                case(c, binary, iso, fixture, s, lv, m, work)
            except AssertionError as e:
                c.true(f"{m.name}: over the serial console", False,
                       f"{e}\n--- serial console (last lines) ---\n{m.serial_tail()}\n"
                       f"--- qemu's stderr ---\n{m.qemu_err()}")
            finally:
                it.tmux("kill-server", check=False)
                wait_qemu_gone(c, m)
    c.true("no tmux server of the run is left", not it.running()
           and it.tmux("list-sessions", check=False).returncode != 0)
    c.eq("the fixture is unchanged", t.sha256(fixture), fixture_hash)
    it.no_write_to_source(c, "c", m)


def qemu_pids(m):
    """qemu processes of this run (their command line names its overlay)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if m.overlay.encode() in f.read():
                        out.append(int(entry))
            except OSError:
                pass
    return out


def wait_qemu_gone(c, m):
    ok = True
    try:
        t.wait_for(lambda: not qemu_pids(m), "qemu to end", seconds=30)
    except AssertionError:
        ok = False
    c.true("no qemu of the run is left", ok, str(qemu_pids(m)))


def to_target(c, m, started):
    """Welcome to the Target screen, as iso_test's wizard case."""
    it.wait(r"This wizard brings", 240, "the Welcome screen")
    print(f"c: the Welcome screen after {time.monotonic() - started:.1f} s", flush=True)
    it.keys("Enter")
    it.wait(r"/dev/sda(.|\n)*Enter: details", 180, "the Disks screen")
    it.keys("n")
    scr = it.wait(r"Enter: open the ticked disks", 60, "the Old host screen")
    c.true("c: the old host's disk is ticked", re.search(r"\[x\] /dev/sda", scr), scr)
    it.keys("Enter")
    scr = it.wait(r"Found the old host", 300, "the old host opened")
    c.true("c: the old host's name", "kvmhost01.example.jp" in scr, scr)
    it.keys("n")
    it.wait(r"Chosen: 3 of 3 VMs", 60, "the VMs screen")
    it.keys("n")
    scr = it.wait(r"Where the VMs go(.|\n)*Enter: choose", 120, "the Target screen")
    c.true("c: the Target screen offers another KVM host over SSH",
           "another KVM host over the network (SSH)" in scr, scr)
    # Down past the disks to the last row (End means nothing to TERM=vt100).
    for _ in (ln for ln in scr.splitlines() if re.match(r"^[> ]/dev/", ln)):
        it.keys("Down")
    it.keys("Enter")


def remote_host(c, s):
    """The Remote host screen: DHCP on the NIC, the address, password
    login; connect, the host key checked against the sshd's own."""
    it.wait(r"Remote host(.|\n)*c: connect", 60, "the Remote host screen")
    it.keys("Enter")  # the cursor is on Network
    it.wait(r"d: DHCP(.|\n)*", 60, "the Network screen")
    scr = it.wait(r"\n[> ] *(enp|eth|ens)\w+", 60, "the NIC on the Network screen")
    it.keys("d")
    scr = it.wait(r"is up \(dhcp\)", 120, "DHCP's address")
    c.true("c: DHCP on the NIC gives qemu's user-mode address", f"{GUEST_ADDRESS}/24" in scr, scr)
    it.keys("Enter")
    it.keys("Escape")
    scr = it.wait(r"Network +this machine: ", 30, "the Remote host screen with the address")
    it.keys("Down")
    it.keys("Enter")
    scr = it.wait(r"of the other KVM host(.|\n)*> .*_", 30, "the Address box")
    url = f"ssh://root@{HOST_ADDRESS}:{s.port}"
    it.type_text(url[len("ssh://root@"):] if "> ssh://root@_" in scr else url)
    it.keys("Enter")
    it.wait(r"Address +" + re.escape(url), 30, "the address on the Remote host screen")
    it.keys("c")
    scr = it.wait(r"offers these host keys(.|\n)*SHA256:", 120, "the Host key question")
    c.true("c: the fingerprint shown is the second host's host key",
           s.host_key_fingerprint() in scr, scr)
    it.keys("y")
    it.wait(r"Password(.|\n)*> _", 60, "the Password box")
    it.type_text(PASSWORD)
    scr = it.screen()
    c.true("c: the password is shown as stars, not as typed",
           PASSWORD not in scr and "*" * len(PASSWORD) in scr, scr)
    it.keys("Enter")


def copy_and_restore(c, took):
    """Review, Start, the copy; the restore's dry run there, allow
    emulation on, Restore, its report; Done; the closing prompt."""
    scr = it.wait(r"Enter: start the copy", 300, "the Review screen")
    took("the Review screen (connected, the plan made there)")
    c.true("c: the Review names the other KVM host", "The other KVM host: ssh://" in scr
           or "other KVM host" in scr, scr)
    it.keys("Enter")
    it.wait(r"Copy 3 VM\(s\) to ssh://", 60, "the Start question")
    it.keys("y")
    scr = it.wait(r"Remote restore(.|\n)*Enter: restore now", 900,
                  "the Remote restore screen after the copy")
    took("the Remote restore screen (the copy and the dry run done)")
    c.true("c: the restore's dry run there is shown (it stops: no KVM there)",
           re.search(r"what the restore would do on ssh://", scr, re.I)
           and "no KVM" in scr, scr)
    it.keys("e")
    it.wait(r"e: allow emulation: YES(.|\n)*Enter: restore now", 300,
            "the dry run again, emulation allowed")
    it.keys("Enter")
    scr = it.wait(r"Define the 3 rescued VM\(s\)", 60, "the Restore question")
    c.true("c: the question says the VMs run emulated", "EMULATED" in scr, scr)
    it.keys("y")
    scr = it.wait(r"Restored \(exit \d+\)(.|\n)*Enter: go on", 300, "the restore's report")
    c.true("c: the restore there ended with exit 0", "Restored (exit 0)" in scr, scr)
    took("the restore's report")
    it.keys("Enter")
    it.wait(r"Enter/q: leave the wizard", 60, "the Done screen")
    it.keys("Enter")
    it.wait(r"Enter powers off now", 120, "the closing prompt")


def case_remote(c, binary, iso, fixture, s, lv, m, work):
    expected = rc.old_images(binary, fixture, work)
    started = m.start(iso, ["-boot", "d"], s._nsenter())

    def took(what):
        print(f"c: {what} after {time.monotonic() - started:.1f} s", flush=True)

    to_target(c, m, started)
    took("the Target screen")
    remote_host(c, s)
    copy_and_restore(c, took)
    c.true("c: the wizard ended with exit 0", "ended (exit 0)" in m.serial_tail(200),
           m.serial_tail())
    it.keys("Enter")
    c.true("c: the machine powers off", it.wait_poweroff(120), it.screen())
    took("the power-off")
    check_second_host(c, lv, expected)


def copied_root(lv):
    """Where the run went on the second host (IMAGES, or rescued-NAME/ in it)."""
    for d in (IMAGES, f"{IMAGES}/rescued-{rc.OLD_HOSTNAME}"):
        if os.path.isfile(lv.outside(f"{d}/kvm-rescue/manifest.json")):
            return d
    return None


def check_second_host(c, lv, expected):
    """Every domain defined there, every image with the old file's sha256."""
    names = set(lv.virsh("list", "--all", "--name", check=True).stdout.split())
    for vm in VMS:
        c.true(f"c: {vm} is defined on the second host", vm in names, str(sorted(names)))
    root = copied_root(lv)
    c.true("c: the copy's manifest is on the second host", root is not None)
    if root is None:
        return
    man = copylib.load(lv.outside(f"{root}/kvm-rescue/manifest.json"))
    c.true("c: the manifest says the copy is complete", man["complete"])
    c.true("c: the restore's report is beside the copy",
           os.path.isfile(lv.outside(f"{root}/kvm-rescue/restore-report.txt")))
    images = [i for i in man["items"] if i["kind"] == "image"]
    c.eq("c: every image of the old host copied",
         sorted(i["source"] for i in images), sorted(expected))
    for i in images:
        dest = f"{root}/{i['dest']}"
        c.eq(f"c: {i['dest']} copied", i["status"], "copied")
        if i["backing_rewrite"]:
            continue  # its header names the backing file's new place
        got = rc.remote(lv, f"sha256sum {lvd.t_quote(dest)} | cut -c1-64").strip()
        c.eq(f"c: the second host's sha256sum of {dest}", got, expected.get(i["source"]))


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what not in ("remote", "shell"):
        print("usage: iso_remote.py remote|shell", file=sys.stderr)
        sys.exit(2)
    t.require_root_and_loop()
    t.require_tools("qemu-system-x86_64", "qemu-img", "tmux", "xorriso")
    lvd.require()
    sshd.require()
    if qemu_accel() != "kvm":
        print("note: no KVM that boots a guest here (iso/qemu_accel.py): qemu runs under TCG "
              "(slower, same checks)", flush=True)
    binary = t.env_path("KVMR_BIN")
    iso = t.env_path("KVMR_ISO")
    if not os.path.isfile(iso):
        raise SystemExit(f"{iso} missing: e2e.iso_build did not make it")
    fixture = os.path.join(t.env_path("KVMR_FIXTURES"), "story.img")
    c = t.Checker()
    # Short: the sshd's ControlMaster socket lives under it.
    work = tempfile.mkdtemp(prefix=f"kvmr-e2e-{what}-", dir="/var/tmp")
    started = time.monotonic()
    try:
        with t.SystemState(work) as state:
            if what == "shell":
                with_second_host(c, binary, iso, fixture, work,
                                 lambda c, _b, iso, _f, s, _lv, m, w: case_shell(c, iso, s, m, w))
            else:
                with_second_host(c, binary, iso, fixture, work, case_remote)
            state.check()
    finally:
        it.tmux("kill-server", check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{what}: {time.monotonic() - started:.0f} s in all", flush=True)
    sys.exit(c.finish())


if __name__ == "__main__":
    main()
