#!/usr/bin/env python3
"""End to end: the Debian rescue ISO booted under qemu against a dead host.

    iso_test.py build     iso/build-debian into the build tree (KVMR_ISO)
    iso_test.py wizard    (a) BIOS boot through GRUB; the wizard driven over
                          the serial console
    iso_test.py replay    (b) an answer file replayed from the kernel command
                          line, no keystrokes

The machine (q35, TCG when /dev/kvm is missing) has the ISO as a DVD, the
dead host's disk as SATA (a qcow2 overlay over build/fixtures/story.img, so
the fixture is never written), a blank 8 GiB data disk (virtio, serial
KVMR-DATA-1) and a blank 16 GiB OS disk (NVMe, serial KVMR-OS-1), both raw
files so they can be checked from outside. The serial console is the pane
of a detached 80x24 tmux session (qemu -serial stdio).

(a) Welcome, Disks (all three disks listed), Old host (the SATA disk ticked,
    the DVD not), VMs (all three ticked), Target (the DVD not offered, the
    old disk refused; vda chosen and its name typed), New host (the OS disk
    found by its by-id name), Review, copy, kickstart onto the OEMDRV
    volume, Done; Enter at the closing prompt powers the machine off.
(b) The answer file (made here by `kvm-rescue plan` on the fixture, target
    pointed at the machine's /dev/vda) on a USB stick labelled KVMRPLAN;
    the ISO's kernel and initramfs booted directly with
    kvm-rescue.plan=LABEL=KVMRPLAN:/plan.json and
    kvm-rescue.confirm-wipe=/dev/vda; the machine must power off by itself.
(b) then goes on to the restore: the script the copy left on the new data
    disk runs against a real libvirt in private namespaces (as
    integration.restore_libvirt does) and defines everything the old host had.
Then, from outside, for both: every copied file has the source's hash and
every domain XML validates (kvmr_copylib.check_copy), ks.cfg is on the OEMDRV
volume and names the OS and data disks by id, the session log is on the
target, the fixture's hash is unchanged and its overlay got no write.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "iso"))
import kvmr_testlib as t  # noqa: E402
from qemu_accel import qemu_accel  # noqa: E402
import kvmr_copylib as copylib  # noqa: E402
import wizard_test  # noqa: E402

SOCKET = "kvmr-e2e-iso"
SESSION = "vm"
OS_DISK_ID = "nvme-QEMU_NVMe_Ctrl_KVMR-OS-1"
DATA_DISK_ID = "virtio-KVMR-DATA-1"
GiB = 1 << 30


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True,
                          check=check)


def screen():
    return tmux("capture-pane", "-p", "-t", SESSION, check=False).stdout


def running():
    return tmux("has-session", "-t", SESSION, check=False).returncode == 0


def wait(pattern, timeout, what):
    """Until PATTERN (a regex) is on the serial console; returns the screen."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = screen()
        if re.search(pattern, s):
            return s
        if not running():
            raise AssertionError(f"the machine stopped before {what}")
        time.sleep(0.3)
    raise AssertionError(f"{what}: '{pattern}' not on the serial console after {timeout} s:\n"
                         f"{screen()}")


def keys(*k):
    tmux("send-keys", "-t", SESSION, *k)
    time.sleep(0.6)


def type_text(text):
    tmux("send-keys", "-t", SESSION, "-l", text)
    time.sleep(0.4)


def wait_poweroff(timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not running():
            return True
        time.sleep(1)
    return False


class Machine:
    """The disks of one boot and qemu in tmux."""

    def __init__(self, work, fixture, name):
        self.work, self.name = work, name
        self.overlay = os.path.join(work, f"{name}-old-host.qcow2")
        t.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", fixture,
               self.overlay], check_rc=0)
        self.data = os.path.join(work, f"{name}-data.img")
        self.osd = os.path.join(work, f"{name}-os.img")
        copylib.new_image(self.data, 8 * GiB)
        copylib.new_image(self.osd, 16 * GiB)
        self.log = os.path.join(work, f"{name}-serial.log")

    def start(self, iso, extra):
        accel = qemu_accel()
        argv = ["qemu-system-x86_64", "-machine", f"q35,accel={accel}", "-m", "2048",
                "-smp", "2", "-display", "none", "-serial", "stdio", "-monitor", "none",
                "-no-reboot",
                "-drive", f"file={iso},media=cdrom,readonly=on,if=none,id=cd",
                "-device", "ide-cd,drive=cd,bus=ide.2",
                "-drive", f"file={self.overlay},format=qcow2,if=none,id=old",
                "-device", "ide-hd,drive=old,bus=ide.0,serial=KVMR-OLD-HOST",
                "-drive", f"file={self.data},format=raw,if=none,id=data",
                "-device", "virtio-blk-pci,drive=data,serial=KVMR-DATA-1",
                "-drive", f"file={self.osd},format=raw,if=none,id=osd",
                "-device", "nvme,drive=osd,serial=KVMR-OS-1", *extra]
        tmux("kill-session", "-t", SESSION, check=False)
        cmd = subprocess.list2cmdline(argv) + f" 2>{self.work}/{self.name}-qemu.err"
        print(f"qemu ({accel}): {cmd}", flush=True)
        tmux("new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", cmd)
        # Everything the console shows, for a failure's post-mortem.
        tmux("pipe-pane", "-t", SESSION, f"cat >> {self.log}")
        return time.monotonic()

    def serial_tail(self, n=60):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()=>][0-9A-Za-z]?", "", f.read())
            return "\n".join(text.splitlines()[-n:])
        except OSError:
            return ""


def no_write_to_source(c, name, m):
    """The overlay over the fixture holds no data: nothing was written to it."""
    p = t.run(["qemu-img", "map", "--output=json", m.overlay], check_rc=0)
    own = [e for e in json.loads(p.stdout) if e.get("depth") == 0 and e.get("data")]
    c.eq(f"{name}: no byte written to the old host's disk (its overlay is empty)", own, [])


def check_result(c, name, binary, fixture, m, work, fixture_hash):
    c.eq(f"{name}: the fixture is unchanged", t.sha256(fixture), fixture_hash)
    no_write_to_source(c, name, m)
    ks = wizard_test.oemdrv_ks(binary, m.data)
    c.true(f"{name}: ks.cfg on the OEMDRV volume", ks.startswith("#") or "%packages" in ks,
           ks[:300])
    c.true(f"{name}: ks.cfg installs on the OS disk by id", OS_DISK_ID in ks, ks[:2000])
    c.true(f"{name}: ks.cfg keeps the data disk by id", DATA_DISK_ID in ks, ks[:2000])
    c.true(f"{name}: ks.cfg is for CentOS 7", "auth " in ks or "authconfig" in ks
           or "install" in ks, ks[:600])

    def log_on_target(tgt, man, rep, tree):
        path = os.path.join(tgt, "kvm-rescue/session.log")
        c.true(f"{name}: the session log is on the target", os.path.isfile(path))
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            c.true(f"{name}: the session log names the copied files", "copied " in text,
                   text[-1500:])
        c.eq(f"{name}: the report counts no unreadable byte", rep["totals"]["bad_bytes"], 0)

    try:
        man, _, _ = copylib.check_copy(c, name, binary, fixture, m.data, work, log_on_target)
    except AssertionError as e:
        c.true(f"{name}: the new disk holds the copy", False,
               f"{e}\n--- serial console (last lines) ---\n{m.serial_tail(80)}")
        return
    images = [i for i in man["items"] if i["kind"] == "image"]
    nvram = [i for i in man["items"] if i["kind"] == "nvram"]
    domains = [i for i in man["items"] if i["kind"] == "domain_xml"]
    c.true(f"{name}: images, NVRAM and domain XML of all three VMs copied",
           len(images) >= 3 and len(nvram) >= 1 and len(domains) == 3,
           f"{len(images)} images, {len(nvram)} nvram, {len(domains)} domains")
    c.eq(f"{name}: the OS disk is left blank", t.sha256(m.osd, mtime=False),
         t.sha256(blank(work), mtime=False))


def blank(work):
    path = os.path.join(work, "blank-16g.img")
    if not os.path.exists(path):
        copylib.new_image(path, 16 * GiB)
    return path


def case_wizard(c, binary, iso, fixture, work):
    fixture_hash = t.sha256(fixture)
    m = Machine(work, fixture, "a")
    started = m.start(iso, ["-boot", "d"])
    try:
        s = wait(r"This wizard brings", 240, "the Welcome screen")
        print(f"a: the Welcome screen after {time.monotonic() - started:.1f} s", flush=True)
        keys("Enter")
        s = wait(r"/dev/vda(.|\n)*Enter: details", 180, "the Disks screen with every disk")
        for disk in ("/dev/sda", "/dev/vda", "/dev/nvme0n1"):
            c.true(f"a: Disks lists {disk}", disk in s, s)
        keys("n")
        s = wait(r"Enter: open the ticked disks", 60, "the Old host screen")
        c.true("a: the old host's disk is ticked", re.search(r"\[x\] /dev/sda", s), s)
        c.true("a: the DVD (the rescue medium) is not ticked",
               re.search(r"\[x\] /dev/sr0", s) is None, s)
        c.true("a: the blank disks are not ticked",
               re.search(r"\[x\] /dev/(vda|nvme0n1)", s) is None, s)
        keys("Enter")
        s = wait(r"Found the old host", 300, "the old host opened")
        c.true("a: the old host's name", "kvmhost01.example.jp" in s, s)
        keys("n")
        s = wait(r"Chosen: 3 of 3 VMs", 60, "the VMs screen")
        keys("n")
        s = wait(r"Where the VMs go(.|\n)*Enter: choose", 120, "the Target screen")
        rows = [ln for ln in s.splitlines() if re.match(r"^[> ]/dev/", ln)]
        c.true("a: the DVD is not offered as the target", not any("sr0" in r for r in rows), s)
        c.true("a: the old host's disk is refused as the target",
               any("/dev/sda" in r and "[refused]" in r for r in rows), s)
        at = next((n for n, r in enumerate(rows) if r[1:].startswith("/dev/vda")), None)
        if at is None:
            raise AssertionError(f"/dev/vda not offered as the target:\n{s}")
        for _ in range(at):
            keys("Down")
        keys("Enter")
        wait(r"Type its name", 30, "the wipe confirmation")
        type_text("vda")
        keys("Enter")
        s = wait(r"OS disk(.|\n)*n: next", 120, "the New host screen")
        c.true("a: the OS disk found by its by-id name", OS_DISK_ID in s, s)
        c.true("a: CentOS 7 by default", "el7" in s, s)
        keys("n")
        wait(r"Enter: start the copy", 180, "the Review screen")
        keys("Enter")
        wait(r"Wipe /dev/vda", 30, "the start question")
        keys("y")
        wait(r"The kickstart that reinstalls", 900, "the copy's end")
        keys("Enter")
        s = wait(r"Kickstart written", 120, "the kickstart")
        keys("Enter")
        wait(r"Enter/q: leave the wizard", 60, "the Done screen")
        keys("Enter")
        s = wait(r"Enter powers off now", 120, "the closing prompt")
        c.true("a: the wizard ended with exit 0", "ended (exit 0)" in m.serial_tail(200),
               m.serial_tail())
        keys("Enter")
        c.true("a: the machine powers off", wait_poweroff(120), screen())
    except AssertionError as e:
        c.true("a: the wizard over the serial console", False,
               f"{e}\n--- serial console (last lines) ---\n{m.serial_tail()}")
        return
    finally:
        tmux("kill-server", check=False)
    check_result(c, "a", binary, fixture, m, work, fixture_hash)


def extract(iso, path, dest):
    t.run(["xorriso", "-osirrox", "on", "-indev", iso, "-extract", path, dest], check_rc=0)
    return dest


def case_replay(c, binary, iso, fixture, work):
    fixture_hash = t.sha256(fixture)
    m = Machine(work, fixture, "b")
    # The answer file, made here on the fixture; on the machine the target
    # is its virtio disk.
    stand_in = os.path.join(work, "b-plan-target.img")
    copylib.new_image(stand_in, 8 * GiB)
    plan_file = os.path.join(work, "b-plan.json")
    t.run([binary, "plan", fixture, "--target", stand_in, "--os-disk", OS_DISK_ID, "-o",
           plan_file], check_rc=0)
    with open(plan_file, encoding="utf-8") as f:
        plan = json.load(f)
    plan["target"].update({"kind": "device", "path": "/dev/vda", "disk": None})
    stick_dir = os.path.join(work, "b-stick")
    os.makedirs(stick_dir)
    with open(os.path.join(stick_dir, "plan.json"), "w", encoding="utf-8") as f:
        json.dump(plan, f, indent=2)
    stick = os.path.join(work, "b-stick.img")
    t.run(["mke2fs", "-q", "-t", "ext4", "-L", "KVMRPLAN", "-d", stick_dir, stick, "16M"],
          check_rc=0)

    # The ISO's own kernel, initramfs and GRUB command line, plus the replay.
    kernel = extract(iso, "/boot/vmlinuz", os.path.join(work, "vmlinuz"))
    initrd = extract(iso, "/boot/initrd.img", os.path.join(work, "initrd.img"))
    with open(extract(iso, "/boot/grub/grub.cfg", os.path.join(work, "grub.cfg")),
              encoding="utf-8") as f:
        line = next(ln for ln in f if ln.strip().startswith("linux "))
    args = line.split(None, 2)[2].strip()
    args += " kvm-rescue.plan=LABEL=KVMRPLAN:/plan.json kvm-rescue.confirm-wipe=/dev/vda"
    started = m.start(iso, ["-kernel", kernel, "-initrd", initrd, "-append", args,
                            "-device", "qemu-xhci,id=xhci",
                            "-drive", f"file={stick},format=raw,if=none,id=stick",
                            "-device", "usb-storage,bus=xhci.0,drive=stick"])
    try:
        off = wait_poweroff(1200)
        c.true("b: the replay ran and the machine powered off by itself", off,
               m.serial_tail())
        if not off:
            return
        print(f"b: powered off after {time.monotonic() - started:.1f} s", flush=True)
        tail = m.serial_tail(400)
        c.true("b: the answer file came from the USB stick",
               re.search(r"answer file /plan.json from /dev/sd", tail), tail[-3000:])
        c.true("b: the replay ended with exit 0", "ended (exit 0)" in tail, tail[-3000:])
    finally:
        tmux("kill-server", check=False)
    check_result(c, "b", binary, fixture, m, work, fixture_hash)
    restore_after_copy(c, binary, fixture, m, work)


def restore_after_copy(c, binary, fixture, m, work):
    """(b) goes on as the new host would: the restore script the copy left on
    the data disk, run against a real libvirt over that disk (the checks of
    integration.restore_libvirt: every network, pool, secret, domain,
    snapshot and autostart flag of the old host, expected from its own
    files)."""
    import kvmr_libvirtd as lvd  # noqa: PLC0415
    import restore_libvirt_test as rl  # noqa: PLC0415
    try:
        lvd.require()
    except SystemExit:
        c.skip("b: the restore on a real libvirt", "this machine cannot run a private libvirtd "
               "(see the SKIP line above)")
        return
    old = rl.old_host(binary, fixture, work)
    with copylib.Mounted(binary, m.data, os.path.join(work, "b-restore-target")) as tgt:
        rl.restore_on_libvirt(c, work, tgt.where, old)
    # The private namespace held a bind mount of the disk: its loop device
    # (detached above, autoclear while busy) goes once the kernel has torn
    # that namespace down, a moment after its last process ended.
    t.wait_for(lambda: not t.run(["losetup", "-j", m.data]).stdout.strip(),
               "the data disk's loop device released", seconds=30)


def build():
    if os.geteuid() != 0:
        t.skip("needs root (debootstrap, chroot): run scripts/test as root")
    iso = t.env_path("KVMR_ISO")
    # --werror: the release build of the medium is the test command's check
    # that a release (-O3) build compiles without a warning.
    argv = [os.path.join(t.env_path("KVMR_SOURCE_DIR"), "iso/build-debian"), "-o", iso,
            "--build-dir", t.env_path("KVMR_ISO_BUILD_DIR"), "--werror"]
    print(" ".join(argv), flush=True)
    sys.exit(subprocess.run(argv, check=False).returncode)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "build":
        build()
    if what not in ("wizard", "replay"):
        print("usage: iso_test.py build|wizard|replay", file=sys.stderr)
        sys.exit(2)
    t.require_root_and_loop()
    t.require_tools("qemu-system-x86_64", "qemu-img", "tmux", "xorriso", "mke2fs", "mtype",
                    "virt-xml-validate")
    if qemu_accel() != "kvm":
        print("note: no KVM that boots a guest here (iso/qemu_accel.py): qemu runs under TCG "
              "(slower, same checks)", flush=True)
    binary = t.env_path("KVMR_BIN")
    iso = t.env_path("KVMR_ISO")
    if not os.path.isfile(iso):
        raise SystemExit(f"{iso} missing: e2e.iso_build did not make it")
    fixture = os.path.join(t.env_path("KVMR_FIXTURES"), "story.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix=f"kvmr-e2e-{what}-", dir="/var/tmp")
    try:
        with t.SystemState(work) as state:
            (case_wizard if what == "wizard" else case_replay)(c, binary, iso, fixture, work)
            state.check()
    finally:
        tmux("kill-server", check=False)
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(c.finish())


if __name__ == "__main__":
    main()
