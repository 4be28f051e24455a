"""The test's own sshd (Debian's openssh-server, from scripts/setup) in a
network namespace the test creates: the "second host" of the network
target (issue 22). Nothing listens outside that namespace, and nothing of
it is left afterwards.

    import kvmr_sshd as sshd

    with sshd.Sshd(work) as s:                 # skips (exit 77) where it cannot run
        p = s.ssh(["sha256sum", "/some/file"], check=True)   # key login, BatchMode
        p = s.sftp("put local remote\\n")       # sftp -b - (batch mode)
        s.host_key_fingerprint()               # "SHA256:..." of its host key
        s.kill_connections()                   # sessions cut, the listener stays
        s.new_host_key()                       # restarted with another host key
        s.client_options()                     # ssh -o ... for other clients
        s.enter(["tool", ...])                 # ARGV in the namespace (nsenter -n)
        Popen(s.ssh_argv(["cmd"]))             # a client of one's own (to cut, say)
        s.session_pids()                       # what sshd runs for the connections

    with lvd.Libvirtd(work) as lv, sshd.Sshd(work, libvirtd=lv) as s:
        s.ssh(["virsh", "-c", "qemu:///system", "list"])   # sshd beside libvirtd

    with sshd.Sshd(work, password="pw", users={"rescuer": True, "plain": False}) as s:
        s.ssh(["id"], user="rescuer")                       # key login as rescuer
        s.password_ssh(["id"], "pw")                        # root by password

What it sets up, all of it under WORK/sshd:
- A network namespace: its own holder (`unshare -n sleep infinity`, `lo`
  up), or the one of the Libvirtd given (then sshd also runs in its mount
  namespace and its sessions see that libvirtd's /run/libvirt, /etc/libvirt
  and /var/lib/libvirt).
- sshd -D -e as a child of this process, in a mount namespace of its own
  inside that (unshare -m, private): a tmpfs over /run holds the
  privilege-separation directory /run/sshd that sshd insists on (this
  machine has none; the Libvirtd's /run/libvirt is moved back under it),
  and without a Libvirtd a tmpfs over /var/log too, so that no login
  record reaches this machine's files; an empty tmpfs over /root, so that
  the sessions neither run this machine's ~/.bashrc nor write to root's
  home. Its sessions run in that mount
  namespace; the mount namespace ends with the last of them.
- With password= or users=: private copies of /etc/passwd, /etc/group and
  /etc/shadow (WORK/sshd/etc) bind-mounted over this machine's in that
  mount namespace (this machine's files are never written). With
  password=, root's hash there is that password's (and every user's
  of users=), sshd takes PermitRootLogin yes and PasswordAuthentication
  yes (keys still work). users= maps login names to whether they may
  run sudo without a password: each gets a uid and group of its own, a
  home /run/kvmr-home/NAME (in the /run tmpfs) whose
  .ssh/authorized_keys holds the test's client key; with any user a
  private /etc/sudoers (WORK/sshd/etc/sudoers: root, and NOPASSWD: ALL
  for the users given True) is bind-mounted too (needs sudo installed).
- Its own ed25519 host key and sshd_config: ListenAddress 127.0.0.1:PORT
  only (PORT: one that is free in this machine's namespace, so that a
  connection to it from here is refused), PermitRootLogin
  prohibit-password, keys only (PasswordAuthentication and
  KbdInteractiveAuthentication no, UsePAM no), AuthorizedKeysFile and
  PidFile in WORK/sshd, StrictModes no (WORK may lie under a directory
  that is group- or world-writable), the sftp subsystem Debian's
  sftp-server (as EL7's sshd runs its own), MaxSessions 64 (one
  ControlMaster connection carries every session).
- A client key pair and a known_hosts with the host key, made by the test.
  The clients run as `nsenter -n` into the namespace with -F none (no
  ~/.ssh or /etc/ssh/ssh_config read or written), BatchMode, the test's
  identity only, StrictHostKeyChecking yes against WORK/sshd/known_hosts,
  and the ControlMaster socket WORK/sshd/cm (ControlPersist, ended on
  exit; a short name: a unix socket's path holds at most 107 bytes, and
  ssh first binds one 17 bytes longer; WORK too long for it fails).
Every wait is bounded. On exit, also after an exception, Ctrl-C or
SIGTERM: the control master asked to exit, sshd and every process of its
mount namespace ended, the clients left in the network namespace ended
(beside a Libvirtd: every process there in this machine's mount
namespace; in our own namespace: every process), the holder ended. check_clean() (called on a normal exit) raises
AssertionError when a process is left, something listens on PORT here or
in the namespace, or /run/sshd or ~/.ssh appeared on this machine.

The machine must have sshd, ssh, sftp, ssh-keygen, unshare, nsenter, ip
and mount, the privilege-separation user sshd, and let root create
namespaces; otherwise the test skips with a message (exit 77).
"""
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_testlib as t  # noqa: E402

START_SECONDS = 20
STOP_SECONDS = 10
SSH_SECONDS = 60  # one client command, unless the caller says otherwise
TOOLS = ("sshd", "ssh", "sftp", "ssh-keygen", "unshare", "nsenter", "ip", "mount")
SFTP_SERVERS = ("/usr/lib/openssh/sftp-server", "/usr/lib/sftp-server")
USER = "root"
SUN_PATH_MAX = 107  # a unix socket's path, without the NUL


def require():
    """Skips (exit 77) unless this machine can run a private sshd."""
    if os.geteuid() != 0:
        t.skip("needs root (namespaces, mounts, sshd); run scripts/test as root")
    for n in TOOLS:
        if shutil.which(n) is None:
            t.skip(f"{n} is not installed (scripts/setup installs openssh-server, "
                   "openssh-client, util-linux, iproute2)")
    if subprocess.run(["getent", "passwd", "sshd"], capture_output=True).returncode != 0:
        t.skip("no user sshd (sshd's privilege separation; openssh-server makes it)")
    p = subprocess.run(["unshare", "-m", "-n", "--propagation", "private", "true"],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        t.skip("this machine does not let root create mount and network namespaces "
               f"(unshare -m -n: {p.stderr.strip() or p.returncode})")


def free_port():
    """A TCP port nothing listens on in this machine's namespace now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(pid, port):
    """Whether anything listens on TCP PORT in the network namespace of
    PID ("self": this one), from /proc/PID/net/tcp and tcp6."""
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{name}", encoding="ascii") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


class Sshd:
    def __init__(self, work, libvirtd=None, port=None, password=None, users=None):
        self.dir = os.path.join(os.path.abspath(work), "sshd")
        self.libvirtd = libvirtd
        self.port = port
        self.password = password  # root's (and the users') password, or None: keys only
        self.users = dict(users or {})  # login name -> passwordless sudo
        self.holder = None  # our own unshare -n, when no Libvirtd is given
        self.listener = None  # the sshd -D Popen
        self.netns = None
        self._mntns = set()  # sshd's own mount namespaces (one per start)
        self._homes = []  # (name, uid, home) of users=
        self._private_etc = []  # files of WORK/sshd/etc bind-mounted over /etc's
        self._seen = set()  # (pid, start time) of every process of ours seen
        self._old_handlers = {}
        self._before = {}

    def path(self, name):
        return os.path.join(self.dir, name)

    # --- set up -------------------------------------------------------------

    def __enter__(self):
        require()
        self._before = _host_traces()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        try:
            if len(self.path("cm")) + 17 > SUN_PATH_MAX:  # ssh adds ".%16s" while it binds
                raise AssertionError(f"{self.dir} is too long for the ControlMaster socket")
            shutil.rmtree(self.dir, ignore_errors=True)
            os.makedirs(self.dir, mode=0o700)
            self._keys()
            self._accounts()
            self._namespace()
            if self.port is None:
                self.port = free_port()
            self._config()
            self._known_hosts()
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

    def _keys(self):
        for name in ("host_ed25519_key", "client_ed25519_key"):
            t.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"kvmr-test-{name}",
                   "-f", self.path(name)], check_rc=0, timeout=30)
        shutil.copyfile(self.path("client_ed25519_key.pub"), self.path("authorized_keys"))

    def _accounts(self):
        """WORK/sshd/etc: the passwd, group, shadow (and sudoers) sshd's
        mount namespace sees, when a password or users are asked for."""
        if self.password is None and not self.users:
            return
        if self.users and shutil.which("sudo") is None:
            t.skip("sudo is not installed (scripts/setup installs it)")
        etc = self.path("etc")
        os.makedirs(etc, mode=0o700)
        days = int(time.time() // 86400)  # changed today: not expired, nothing forced
        hashed = _password_hash(self.password) if self.password is not None else None
        passwd, group, shadow = (_read_lines(f"/etc/{n}") for n in ("passwd", "group", "shadow"))
        if hashed is not None:
            shadow = [f"root:{hashed}:{days}:0:99999:7:::" if line.startswith("root:") else line
                      for line in shadow]
        taken = {int(line.split(":")[2]) for line in passwd + group if line.count(":") >= 3}
        uid = 61000
        sudoers = ["Defaults env_reset", "Defaults !syslog", "Defaults !lecture",
                   'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:'
                   '/sbin:/bin"', "root ALL=(ALL:ALL) ALL"]
        for name, sudo in self.users.items():
            while uid in taken:
                uid += 1
            taken.add(uid)
            home = f"/run/kvmr-home/{name}"
            passwd.append(f"{name}:x:{uid}:{uid}:kvm-rescue test user:{home}:/bin/sh")
            group.append(f"{name}:x:{uid}:")
            shadow.append(f"{name}:{hashed or '*'}:{days}:0:99999:7:::")
            self._homes.append((name, uid, home))
            if sudo:
                sudoers.append(f"{name} ALL=(ALL:ALL) NOPASSWD: ALL")
        files = {"passwd": (passwd, 0o644), "group": (group, 0o644), "shadow": (shadow, 0o640)}
        if self.users:
            files["sudoers"] = (sudoers, 0o440)
        for name, (lines, mode) in files.items():
            with open(os.path.join(etc, name), "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            os.chmod(os.path.join(etc, name), mode)
        self._private_etc = list(files)

    def _namespace(self):
        if self.libvirtd is not None:
            self.netns = lvd._ns(self.libvirtd.holder.pid, "net")
            return
        self.holder = subprocess.Popen(
            ["unshare", "-n", "sleep", "infinity"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=lvd._die_with_parent)
        mine = lvd._ns("self", "net")
        t.wait_for(lambda: self.holder.poll() is not None
                   or lvd._ns(self.holder.pid, "net") not in (mine, None),
                   "the network namespace holder", seconds=START_SECONDS)
        if self.holder.poll() is not None:
            raise AssertionError(f"unshare -n failed: {self.holder.stderr.read()}")
        self.netns = lvd._ns(self.holder.pid, "net")
        self.enter(["ip", "link", "set", "lo", "up"], check=True)

    def _ns_pid(self):
        return (self.libvirtd.holder if self.libvirtd is not None else self.holder).pid

    def _config(self):
        sftp = next((p for p in SFTP_SERVERS if os.access(p, os.X_OK)), "internal-sftp")
        lines = [
            "# kvm-rescue tests (tests/integration/kvmr_sshd.py): the test's own sshd",
            f"ListenAddress 127.0.0.1:{self.port}",
            "AddressFamily inet",
            f"HostKey {self.path('host_ed25519_key')}",
            f"PidFile {self.path('sshd.pid')}",
            f"AuthorizedKeysFile {self.path('authorized_keys')} .ssh/authorized_keys",
            "PermitRootLogin " + ("prohibit-password" if self.password is None else "yes"),
            "PubkeyAuthentication yes",
            "PasswordAuthentication " + ("no" if self.password is None else "yes"),
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "MaxSessions 64",
            "MaxStartups 64",
            "LogLevel VERBOSE",
            f"Subsystem sftp {sftp}",
        ]
        with open(self.path("sshd_config"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def _known_hosts(self):
        with open(self.path("host_ed25519_key.pub"), encoding="ascii") as f:
            key = " ".join(f.read().split()[:2])
        with open(self.path("known_hosts"), "w", encoding="ascii") as f:
            f.write(f"[127.0.0.1]:{self.port} {key}\n")

    def _mount_script(self):
        """sh that prepares sshd's own mount namespace, then execs sshd."""
        q = lvd.t_quote
        keep = self.path("run-libvirt")
        s = "set -e\n"
        if self.libvirtd is not None:
            os.makedirs(keep, exist_ok=True)
            s += f"mount --rbind /run/libvirt {q(keep)}\n"
        s += "mount -t tmpfs -o mode=0755 kvmr-sshd /run\nmkdir -m 0755 /run/sshd\n"
        # root's home as on a fresh host: this machine's ~/.bashrc (pyenv
        # init, which takes a lock a killed session leaves behind) must not
        # run in the sessions, nor may they write there.
        s += "mount -t tmpfs -o mode=0700 kvmr-sshd-home /root\n"
        for name in self._private_etc:
            s += f"mount --bind {q(self.path('etc/' + name))} /etc/{name}\n"
        key = q(self.path("client_ed25519_key.pub"))
        for name, uid, home in self._homes:
            s += (f"mkdir -p -m 0755 /run/kvmr-home\nmkdir -m 0700 {q(home)} {q(home + '/.ssh')}\n"
                  f"cp {key} {q(home + '/.ssh/authorized_keys')}\n"
                  f"chown -R {uid}:{uid} {q(home)}\n")
        if self.libvirtd is not None:
            s += f"mkdir /run/libvirt\nmount --move {q(keep)} /run/libvirt\n"
        else:
            s += "mount -t tmpfs -o mode=0755 kvmr-sshd /var/log\n"
        sshd = os.path.realpath(shutil.which("sshd"))  # re-exec needs an absolute path
        return s + f"exec {q(sshd)} -D -e -f {q(self.path('sshd_config'))}\n"

    def start(self):
        """Starts sshd; returns once it listens on PORT in the namespace."""
        ns = ["-m", "-n"] if self.libvirtd is not None else ["-n"]
        argv = ["nsenter", "-t", str(self._ns_pid()), *ns, "--",
                "unshare", "-m", "--propagation", "private", "sh", "-c", self._mount_script()]
        log = open(self.path("sshd.log"), "ab")
        try:
            self.listener = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT, cwd="/",
                                             preexec_fn=lvd._die_with_parent)
        finally:
            log.close()
        pid = self.listener.pid
        t.wait_for(lambda: self.listener.poll() is not None or listening(pid, self.port),
                   f"sshd to listen on 127.0.0.1:{self.port}", seconds=START_SECONDS)
        if self.listener.poll() is not None:
            raise AssertionError(f"sshd exited {self.listener.returncode}:\n{self.log_tail()}")
        mnt = lvd._ns(pid, "mnt")
        if mnt is not None:
            self._mntns.add(mnt)

    def log_tail(self, lines=30):
        return "\n".join(t.log_tail(self.path("sshd.log"), lines))

    # --- use ----------------------------------------------------------------

    def enter(self, argv, check=False, timeout=SSH_SECONDS, **kw):
        """ARGV in the network namespace (this machine's mount namespace:
        WORK is where it is here). A CompletedProcess with text output
        unless text=False is passed."""
        kw.setdefault("text", True)
        p = subprocess.run(self._nsenter() + list(argv), capture_output=True, timeout=timeout,
                           **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"{argv} exited {p.returncode}\nstdout:\n{p.stdout}\n"
                                 f"stderr:\n{p.stderr}\nsshd's log:\n{self.log_tail()}")
        return p

    def _nsenter(self):
        return ["nsenter", "-t", str(self._ns_pid()), "-n", "--"]

    def client_options(self, known_hosts=None, control=True):
        """The -F/-o options every client gets (ssh, sftp, scp, rsync -e)."""
        opts = ["-F", "none", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", f"IdentityFile={self.path('client_ed25519_key')}",
                "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={known_hosts or self.path('known_hosts')}",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
                "-o", f"Port={self.port}", "-o", f"User={USER}"]
        if control:
            opts += ["-o", "ControlMaster=auto", "-o", f"ControlPath={self.path('cm')}",
                     "-o", "ControlPersist=120"]
        return opts

    def _ssh_words(self, argv, options):
        remote = " ".join(shlex.quote(a) for a in argv)
        return ["ssh", *options, *self.client_options(), "127.0.0.1", "--", remote]

    def ssh_argv(self, argv, options=()):
        """The whole command line (nsenter included) of ssh(), for a
        Popen of one's own (a client that stays, or one to cut)."""
        return self._nsenter() + self._ssh_words(argv, options)

    def ssh(self, argv, options=(), check=False, timeout=SSH_SECONDS, user=USER, **kw):
        """ARGV run on the sshd (each word quoted for the remote shell) by
        the system's ssh client in the namespace; OPTIONS go to ssh before
        the others (they win: ssh takes the first value it is given).
        Another USER logs in by key on a connection of its own (the
        master is root's)."""
        if user != USER:
            options = ["-o", f"User={user}", "-o", "ControlPath=none", *options]
        return self.enter(self._ssh_words(argv, options), check=check, timeout=timeout, **kw)

    def password_ssh(self, argv, password, user=USER, options=(), timeout=SSH_SECONDS):
        """ARGV run as USER logging in by PASSWORD alone (no key, no
        master): ssh reads it from an askpass script (SSH_ASKPASS_REQUIRE
        force) that prints it from a 0600 file in WORK/sshd, never from a
        command line. A CompletedProcess; 255 when refused."""
        secret, askpass = self.path("askpass.secret"), self.path("askpass")
        with open(os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w",
                  encoding="utf-8") as f:
            f.write(password + "\n")
        with open(askpass, "w", encoding="utf-8") as f:
            f.write(f"#!/bin/sh\nexec cat {lvd.t_quote(secret)}\n")
        os.chmod(askpass, 0o700)
        env = dict(os.environ, SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force",
                   DISPLAY=os.environ.get("DISPLAY", ":0"))
        opts = [*options, "-o", "ControlPath=none", "-o", "BatchMode=no",
                "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
                "-o", "NumberOfPasswordPrompts=1"]
        try:
            return self.ssh(argv, options=opts, timeout=timeout, env=env, user=user,
                            stdin=subprocess.DEVNULL)
        finally:
            os.remove(secret)

    def sftp(self, batch, options=(), check=False, timeout=SSH_SECONDS):
        """sftp -b - with BATCH (its commands, one a line) on standard input."""
        return self.enter(["sftp", "-b", "-", *options, *self.client_options(), "127.0.0.1"],
                          check=check, timeout=timeout, input=batch)

    def host_key_fingerprint(self):
        """The SHA256 fingerprint of sshd's host key, as ssh prints it."""
        out = t.run(["ssh-keygen", "-E", "sha256", "-lf", self.path("host_ed25519_key.pub")],
                    check_rc=0, timeout=30).stdout
        return out.split()[1]

    def session_pids(self):
        """The processes of sshd's mount namespace but the listener: the
        connections' sshd processes and what their sessions run."""
        listener = self.listener.pid if self.listener is not None else None
        return [p for p in self._our_pids() if p != listener and lvd._ns(p, "mnt") in self._mntns]

    def kill_connections(self):
        """Every connection cut (its sshd processes and their sessions
        killed, as by a dropped link); the listener keeps listening."""
        for _ in range(3):
            pids = self.session_pids()
            if not pids:
                return
            for pid in pids:
                _kill(pid, signal.SIGKILL)
            t.wait_for(lambda: not self.session_pids(), "the sessions to end",
                       seconds=STOP_SECONDS)

    def new_host_key(self):
        """sshd restarted with a new host key (known_hosts keeps the old
        one, as a client's would). Returns the new fingerprint."""
        self._stop_sshd()
        for suffix in ("", ".pub"):
            os.remove(self.path("host_ed25519_key" + suffix))
        t.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kvmr-test-new-host-key",
               "-f", self.path("host_ed25519_key")], check_rc=0, timeout=30)
        self.start()
        return self.host_key_fingerprint()

    # --- tear down ------------------------------------------------------------

    def __exit__(self, exc_type, *_):
        try:
            self._stop_everything()
        finally:
            self._restore_handlers()
        if exc_type is None:
            self.check_clean()
        return False

    def _our_pids(self):
        """Processes of ours still running: those of sshd's mount
        namespaces, and in the network namespace the clients (this
        machine's mount namespace) or, in our own namespace, any. A
        process seen once is followed until it ends (one that is exiting
        no longer shows its namespaces)."""
        if self.netns is None:
            return []
        mine = lvd._ns("self", "mnt")
        holder = self.holder.pid if self.holder is not None else None
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in (holder, os.getpid()):
                continue
            mnt = lvd._ns(entry, "mnt")
            if mnt in self._mntns or lvd._ns(entry, "net") == self.netns and (
                    self.holder is not None or mnt == mine):
                self._seen.add((int(entry), lvd._start_time(entry)))
        return [pid for pid, started in sorted(self._seen) if lvd._running(pid, started)]

    def _end_our_processes(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self._our_pids():
                _kill(pid, sig)
            end = time.monotonic() + STOP_SECONDS
            while self._our_pids() and time.monotonic() < end:
                time.sleep(0.1)
            if not self._our_pids():
                return

    def _stop_sshd(self):
        self._our_pids()  # known before they start to exit
        if self.listener is not None:
            lvd._end(self.listener)
            self.listener = None
        self.kill_connections()

    def _stop_everything(self):
        try:
            if self.netns is not None and os.path.exists(self.path("known_hosts")):
                self.enter(["ssh", *self.client_options(), "-O", "exit", "127.0.0.1"],
                           timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        finally:
            try:
                self._our_pids()
                if self.listener is not None:
                    lvd._end(self.listener)
                    self.listener = None
                self._end_our_processes()
            finally:
                if self.holder is not None:
                    lvd._end(self.holder, signal.SIGKILL)

    def check_clean(self):
        """Raises AssertionError when anything of the sshd is left: a
        process, a listener on PORT (here, or in a Libvirtd's namespace
        that lives on), /run/sshd or ~/.ssh made on this machine."""
        problems = []
        left = [f"{p} ({lvd._comm(p)})" for p in self._our_pids()]
        if left:
            problems.append(f"processes left: {left}")
        if self.holder is not None and self.holder.poll() is None:
            problems.append(f"holder {self.holder.pid} left")
        if listening("self", self.port):
            problems.append(f"something listens on port {self.port} here")
        if self.libvirtd is not None and self.libvirtd.holder.poll() is None and \
                listening(self.libvirtd.holder.pid, self.port):
            problems.append(f"something listens on port {self.port} in the namespace")
        if _host_traces() != self._before:
            problems.append(f"made on this machine: {_host_traces()} (before: {self._before})")
        if problems:
            raise AssertionError("; ".join(problems))


def _host_traces():
    """What an sshd or ssh client run the wrong way would leave here."""
    return {p: os.path.exists(p) for p in ("/run/sshd", os.path.expanduser("~/.ssh"))}


def _read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def _password_hash(password):
    """PASSWORD's SHA-512 crypt hash (openssl passwd -6, fed on stdin)."""
    return t.run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n", check_rc=0,
                 timeout=30).stdout.strip()


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
