"""A real libvirt for the integration tests: libvirtd and virtlogd (Debian
12's libvirt 9 with the QEMU driver, from scripts/setup) started by the test
in private mount and network namespaces of its own, and gone afterwards.

    import kvmr_libvirtd as lvd

    with lvd.Libvirtd(work) as lv:          # skips (exit 77) where it cannot run
        lv.bridge("br0")                     # a bridge inside the namespace
        lv.bind(target, "/var/lib/libvirt/images")   # the rescued data disk
        lv.tmpfs("/var/lib/kvm-rescue")      # more private state, if needed
        p = lv.run(["bash", "/var/lib/libvirt/images/kvm-rescue/kvm-rescue-restore"])
        names = lv.virsh("list", "--all", "--name", check=True).stdout.split()
        lv.outside("/var/log/libvirt/qemu/vm.log")   # a path inside, read from here
        lv.etc                               # the private /etc/libvirt (secrets/UUID.base64)
        lv.reboot()                          # as a host boot: autostart runs again

What it sets up (FACTS.md, "A real libvirt in tests"):
- A holder process (`unshare -m -n --propagation private sleep`) owns the
  namespaces; everything else enters them with `nsenter -t PID -m -n`.
- Inside: tmpfs over /run/libvirt, /var/lib/libvirt, /var/cache/libvirt
  and /var/log (the restore's log, libvirt's logs); a fresh sysfs (so that
  /sys/class/net shows the namespace's own links; the cgroup mounts moved
  back under it); WORK/etc-libvirt, a copy of this machine's /etc/libvirt
  with a qemu.conf that runs QEMU as root, bound over /etc/libvirt; `lo` up.
  No network is defined or autostarted at the start.
- Mount points that do not exist here are made (empty directories, as
  libvirt-daemon-system would make them) and left.
- virtlogd, then libvirtd, in the foreground as children of this process
  (their output in WORK/virtlogd.log and WORK/libvirtd.log); the start
  waits for `virsh uri` to answer, at most START_SECONDS.
On exit, also after an exception, Ctrl-C or SIGTERM: every running domain
destroyed and every active network net-destroyed (libvirt's dnsmasq
outlives libvirtd), both daemons ended by pid, whatever is still in the
namespaces ended, then the holder: no process, mount, bridge or tap is left.
check_clean() (called on a normal exit) says so or raises AssertionError.

Every wait is bounded. The machine must have libvirtd, virtlogd, virsh,
unshare, nsenter and ip, the libvirt-qemu user and group, and let root
create namespaces; otherwise the test skips with a message (exit 77).
"""
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

URI = "qemu:///system"
START_SECONDS = 60
STOP_SECONDS = 15
PRIVATE_DIRS = ("/run/libvirt", "/var/lib/libvirt", "/var/cache/libvirt", "/var/log")
TOOLS = ("libvirtd", "virtlogd", "virsh", "unshare", "nsenter", "ip", "mount")
QEMU_CONF = """# kvm-rescue tests (kvmr_libvirtd.py): QEMU runs as root inside the
# test's own namespaces; no security driver (no AppArmor or SELinux
# profiles here).
user = "root"
group = "root"
security_driver = "none"
"""

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """preexec_fn: the child is killed when this test process dies (a
    backstop for a SIGKILL from ctest's timeout; __exit__ is the rule)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def require():
    """Skips (exit 77) unless this machine can run a private libvirt."""
    if os.geteuid() != 0:
        t.skip("needs root (namespaces, mounts, libvirtd); run scripts/test as root")
    for n in TOOLS:
        if shutil.which(n) is None:
            t.skip(f"{n} is not installed (scripts/setup installs libvirt-daemon, "
                   "libvirt-daemon-driver-qemu, libvirt-clients, iproute2)")
    for what, name in (("user", "libvirt-qemu"), ("group", "libvirt-qemu")):
        db = "passwd" if what == "user" else "group"
        if subprocess.run(["getent", db, name], capture_output=True).returncode != 0:
            t.skip(f"no {what} {name}: libvirt's QEMU driver will not load without it "
                   "(scripts/setup makes it)")
    p = subprocess.run(["unshare", "-m", "-n", "--propagation", "private", "true"],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        t.skip("this machine does not let root create mount and network namespaces "
               f"(unshare -m -n: {p.stderr.strip() or p.returncode})")


def _ns(pid, kind):
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError:
        return None


def host_links():
    """The network links of this machine's own namespace."""
    p = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, timeout=30)
    return sorted(line.split(":")[1].strip().split("@")[0] for line in p.stdout.splitlines()
                  if line.count(":") >= 2)


class Libvirtd:
    def __init__(self, work, start_seconds=START_SECONDS):
        self.work = os.path.abspath(work)
        self.start_seconds = start_seconds
        self.etc = os.path.join(self.work, "etc-libvirt")
        self.holder = None
        self.daemons = {}  # name -> Popen
        self.netns = self.mntns = None
        self._removable = []  # mount points made for tmpfs(); removed when empty
        self._seen = set()  # (pid, start time) of every process seen inside
        self._old_handlers = {}

    # --- set up -------------------------------------------------------------

    def __enter__(self):
        require()
        self._links_before = host_links()
        self._mounts_before = t.mounts()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        try:
            self._private_etc()
            self._start_holder()
            self._mount_private()
            self.start()
        except BaseException:
            self._stop_everything()
            self._restore_handlers()
            raise
        return self

    def _on_signal(self, signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def _restore_handlers(self):
        for sig, h in self._old_handlers.items():
            signal.signal(sig, h)
        self._old_handlers = {}

    def _private_etc(self):
        os.makedirs(self.work, exist_ok=True)
        shutil.rmtree(self.etc, ignore_errors=True)
        if os.path.isdir("/etc/libvirt"):
            shutil.copytree("/etc/libvirt", self.etc, symlinks=True)
        else:
            os.makedirs(self.etc)
        # No network defined or autostarted at the start: nothing may reach
        # this machine's network, and the test defines what it needs.
        shutil.rmtree(os.path.join(self.etc, "qemu", "networks"), ignore_errors=True)
        with open(os.path.join(self.etc, "qemu.conf"), "w", encoding="utf-8") as f:
            f.write(QEMU_CONF)

    def _start_holder(self):
        self.holder = subprocess.Popen(
            ["unshare", "-m", "-n", "--propagation", "private", "sleep", "infinity"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent)
        mine = _ns("self", "net")

        def entered():
            return self.holder.poll() is not None or _ns(self.holder.pid, "net") not in (mine,
                                                                                        None)
        t.wait_for(entered, "the namespace holder", seconds=20)
        if self.holder.poll() is not None:
            raise AssertionError(f"unshare -m -n failed: {self.holder.stderr.read()}")
        self.netns = _ns(self.holder.pid, "net")
        self.mntns = _ns(self.holder.pid, "mnt")

    def _mount_private(self):
        for d in PRIVATE_DIRS:
            os.makedirs(d, exist_ok=True)  # as libvirt-daemon-system makes them
        tmpfs = "".join(f"mount -t tmpfs -o mode=0755 kvmr-libvirt {d}\n" for d in PRIVATE_DIRS)
        # A fresh sysfs shows this namespace's links; the cgroup mounts
        # under the old one are moved back under it.
        script = (
            "set -e\n" + tmpfs +
            "if mountpoint -q /sys/fs/cgroup; then\n"
            "  mkdir /run/libvirt/.cgroup\n"
            "  mount --rbind /sys/fs/cgroup /run/libvirt/.cgroup\n"
            "  mount -t sysfs kvmr-sysfs /sys\n"
            "  mount --move /run/libvirt/.cgroup /sys/fs/cgroup\n"
            "  rmdir /run/libvirt/.cgroup\n"
            "else\n"
            "  mount -t sysfs kvmr-sysfs /sys\n"
            "fi\n"
            f"mount --bind {t_quote(self.etc)} /etc/libvirt\n"
            # what the packages ship and libvirtd does not make itself
            "mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/images\n"
            "ip link set lo up\n")
        os.makedirs("/etc/libvirt", exist_ok=True)
        self.run(["sh", "-c", script], check=True)

    def start(self):
        """Starts virtlogd and libvirtd; returns once `virsh uri` answers."""
        # Their pid files in the private /run/libvirt: root's default is /run,
        # shared with this machine (a second harness, or a host daemon, holds
        # the same lock there).
        for name in ("virtlogd", "libvirtd"):
            argv = [name, "--pid-file", f"/run/libvirt/{name}.pid"]
            log = open(os.path.join(self.work, f"{name}.log"), "ab")
            try:
                self.daemons[name] = subprocess.Popen(
                    self._enter(argv), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, cwd="/", preexec_fn=_die_with_parent)
            finally:
                log.close()
            if name == "virtlogd":
                t.wait_for(lambda: os.path.exists(self.outside("/run/libvirt/virtlogd-sock"))
                           or self.daemons["virtlogd"].poll() is not None,
                           "virtlogd's socket", seconds=self.start_seconds)
        end = time.monotonic() + self.start_seconds
        while True:
            for name, d in self.daemons.items():
                if d.poll() is not None:
                    raise AssertionError(f"{name} exited {d.returncode}:\n{self.log_tail(name)}")
            if self.virsh("uri", timeout=20).returncode == 0:
                return
            if time.monotonic() > end:
                raise AssertionError(f"libvirtd did not answer within {self.start_seconds} s:\n"
                                     f"{self.log_tail('libvirtd')}")
            time.sleep(0.2)

    # --- use ----------------------------------------------------------------

    def _enter(self, argv):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", "--", *argv]

    def run(self, argv, check=False, timeout=300, **kw):
        """ARGV inside the namespaces (a CompletedProcess with text output).
        CHECK: raise AssertionError unless it exits 0."""
        p = subprocess.run(self._enter(argv), capture_output=True, text=True, timeout=timeout,
                           cwd=kw.pop("cwd", "/"), **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"{argv} exited {p.returncode}\nstdout:\n{p.stdout}\n"
                                 f"stderr:\n{p.stderr}")
        return p

    def virsh(self, *args, check=False, timeout=120):
        return self.run(["virsh", "-c", URI, *args], check=check, timeout=timeout)

    def outside(self, path):
        """PATH as seen inside the mount namespace, as a path usable here."""
        return f"/proc/{self.holder.pid}/root{path}"

    def bridge(self, name):
        """A bridge NAME, up, inside the network namespace."""
        self.run(["ip", "link", "add", name, "type", "bridge"], check=True)
        self.run(["ip", "link", "set", name, "up"], check=True)

    def bind(self, source, path):
        """SOURCE (a directory of this machine, e.g. the rescued target)
        bound over PATH inside the mount namespace (PATH made if needed,
        inside a private tmpfs unless it is elsewhere)."""
        self.run(["mkdir", "-p", path], check=True)
        self.run(["mount", "--bind", os.path.abspath(source), path], check=True)

    def tmpfs(self, path):
        """A private tmpfs over PATH. A mount point this call has to make
        here is removed at the end when it is empty."""
        if not os.path.isdir(path):
            os.makedirs(path)
            self._removable.append(path)
        self.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "kvmr-libvirt", path], check=True)

    def log_tail(self, name, lines=30):
        return "\n".join(t.log_tail(os.path.join(self.work, f"{name}.log"), lines))

    def reboot(self):
        """As the host going down and up again: domains and networks
        stopped, the daemons ended, libvirt's run state (/run/libvirt)
        emptied, the daemons started again (autostart runs again)."""
        self._stop_libvirt()
        self.run(["umount", "-l", "/run/libvirt"], check=True)
        self.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "kvmr-libvirt", "/run/libvirt"],
                 check=True)
        self.start()

    # --- tear down ------------------------------------------------------------

    def __exit__(self, exc_type, *_):
        try:
            self._stop_everything()
        finally:
            self._restore_handlers()
        if exc_type is None:
            self.check_clean()
        return False

    def _stop_libvirt(self):
        """Domains destroyed, networks net-destroyed (while libvirtd answers),
        both daemons ended, every other process in the namespaces ended."""
        self._namespace_pids()  # known before they start to exit
        lib = self.daemons.get("libvirtd")
        if lib is not None and lib.poll() is None:
            for args, verb in ((("list", "--name", "--state-running"), "destroy"),
                               (("net-list", "--name"), "net-destroy")):
                p = self.virsh(*args, timeout=30)
                for name in p.stdout.splitlines():
                    if name.strip():
                        self.virsh(verb, name, timeout=60)
        for name in ("libvirtd", "virtlogd"):
            d = self.daemons.pop(name, None)
            if d is not None:
                _end(d)
        self._end_namespace_processes()

    def _namespace_pids(self):
        """Processes in the namespaces (the holder aside), and any seen
        there before that has not ended yet: a process that is exiting no
        longer shows its namespaces but may still run for a moment."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or self.holder is None or int(entry) == self.holder.pid:
                continue
            if self.netns and _ns(entry, "net") == self.netns or \
                    self.mntns and _ns(entry, "mnt") == self.mntns:
                self._seen.add((int(entry), _start_time(entry)))
        for pid, started in sorted(self._seen):
            if _running(pid, started):
                pids.append(pid)
        return pids

    def _end_namespace_processes(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self._namespace_pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            end = time.monotonic() + STOP_SECONDS
            while self._namespace_pids() and time.monotonic() < end:
                time.sleep(0.1)
            if not self._namespace_pids():
                return

    def _stop_everything(self):
        try:
            if self.holder is not None:
                self._stop_libvirt()
        finally:
            for d in self.daemons.values():
                _end(d)
            self.daemons = {}
            if self.holder is not None:
                _end(self.holder, signal.SIGKILL)
            for path in reversed(self._removable):
                try:
                    os.rmdir(path)
                except OSError:
                    pass
            self._removable = []

    def check_clean(self):
        """Raises AssertionError when anything of the namespaces is left:
        a process, a link in this machine's namespace or a mount here."""
        left = [f"{p} ({_comm(p)})" for p in self._namespace_pids()]
        if self.holder is not None and self.holder.poll() is None:
            left.append(f"holder {self.holder.pid}")
        new_links = sorted(set(host_links()) - set(self._links_before))
        new_mounts = sorted(set(t.mounts()) - set(self._mounts_before))
        problems = [f"processes left: {left}"] if left else []
        problems += [f"links left in this machine's namespace: {new_links}"] if new_links else []
        problems += [f"mounts left: {new_mounts}"] if new_mounts else []
        if problems:
            raise AssertionError("; ".join(problems))


def _end(proc, first=signal.SIGTERM):
    """Ends a child: FIRST, then SIGKILL, each waited for (bounded)."""
    if proc.poll() is None:
        for sig in (first, signal.SIGKILL):
            try:
                proc.send_signal(sig)
                proc.wait(timeout=STOP_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
    try:
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    for f in (proc.stdout, proc.stderr):
        if f is not None:
            f.close()


def _start_time(pid):
    """PID's start time (clock ticks after boot), telling it from a later
    process given the same number."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _running(pid, started):
    """Whether PID (started at STARTED) exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and (started is None or int(fields[19]) == started)


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return "?"


def t_quote(s):
    """S as one sh word."""
    return "'" + s.replace("'", "'\\''") + "'"
