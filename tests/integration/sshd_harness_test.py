#!/usr/bin/env python3
"""The test's own sshd (kvmr_sshd.py), the "second host" of the network
target (issue 22), proved before anything of kvm-rescue uses it:

- key login as root works, over one ControlMaster connection (ssh -O
  check sees the master);
- the host key the client is shown (ssh -v: "Server host key") is the one
  whose fingerprint the harness computes;
- a sparse file (64 MiB, two 4 KiB writes) put with `sftp -b` arrives
  whole (sha256sum computed on the remote side equals ours) but NOT sparse:
  OpenSSH's sftp client sends every byte, zeros included, so the remote
  file is fully allocated (a finding that matters: holes survive only when
  the client writes the data extents alone, at their offsets);
- which a minimal SFTP v3 client in this test does (OPEN, WRITE at each
  data extent's offset, FSETSTAT size, CLOSE, over `ssh -s ... sftp`, the
  same sftp-server an EL7 host runs): the remote file keeps its holes
  (stat: allocated blocks about the data written) and hashes the same;
- kill_connections() cuts a running session: its client exits 255, the
  listener stays, the next ssh makes a new master and works;
- password and keyboard-interactive logins are refused: the server offers
  publickey only ("Authentications that can continue: publickey");
- in password mode (Sshd(password=..., users=...)): root logs in with
  the right password and is refused (exit 255) with a wrong one; a user
  of users= logs in with the test's key, runs `sudo -n` as root when
  given passwordless sudo and is refused ("a password is required")
  otherwise; this machine's /etc/shadow, /etc/passwd and /etc/group are
  unchanged (sha256 before and after);
- nothing listens on the port in this machine's own namespace (a
  connection from here is refused);
- a changed host key is refused by the client (StrictHostKeyChecking=yes
  with the old known_hosts: "REMOTE HOST IDENTIFICATION HAS CHANGED");
- afterwards nothing is left: the harness's check_clean() on exit, and
  the sshd's pid and the namespace holder's are gone;
- with a private libvirtd (kvmr_libvirtd.Libvirtd given to Sshd), a
  session's `virsh -c qemu:///system uri` reaches that libvirtd, and the
  session sees its private /var/lib/libvirt (skipped where libvirtd is
  not installed).
"""
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_sshd as sshd  # noqa: E402
import kvmr_testlib as t  # noqa: E402

MIB = 1 << 20
SIZE = 64 * MIB
WRITES = ((0x41, 1 * MIB, 4096), (0x42, 40 * MIB, 4096))  # (byte, offset, length)


def sparse_file(path):
    with open(path, "wb") as f:
        f.truncate(SIZE)
        for byte, off, length in WRITES:
            f.seek(off)
            f.write(bytes([byte]) * length)
    return path


def remote_stat(s, path):
    """(size, allocated bytes) of PATH, from stat on the remote side."""
    out = s.ssh(["stat", "-c", "%s %b %B", path], check=True).stdout.split()
    return int(out[0]), int(out[1]) * int(out[2])


def remote_sha256(s, path):
    return s.ssh(["sha256sum", path], check=True).stdout.split()[0]


# --- a minimal SFTP v3 client (draft-ietf-secsh-filexfer-02) ------------------

FXP_INIT, FXP_VERSION, FXP_OPEN, FXP_CLOSE, FXP_WRITE, FXP_FSETSTAT = 1, 2, 3, 4, 6, 10
FXP_STATUS, FXP_HANDLE = 101, 102
FXF_WRITE, FXF_CREAT, FXF_TRUNC = 0x02, 0x08, 0x10
ATTR_SIZE = 0x01
CHUNK = 32 << 10


class Sftp:
    """SFTP packets over `ssh -s 127.0.0.1 sftp`, every read bounded."""

    def __init__(self, s):
        self.p = subprocess.Popen(s.ssh_argv(["sftp"], options=["-s"]), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.next_id = 0
        self.send(FXP_INIT, struct.pack(">I", 3))
        kind, _ = self.recv()
        assert kind == FXP_VERSION, kind

    def send(self, kind, body):
        self.p.stdin.write(struct.pack(">IB", len(body) + 1, kind) + body)
        self.p.stdin.flush()

    def _read(self, n):
        out = b""
        while len(out) < n:
            ready, _, _ = select.select([self.p.stdout], [], [], 30)
            if not ready:
                raise AssertionError("sftp-server did not answer within 30 s")
            b = os.read(self.p.stdout.fileno(), n - len(out))
            if not b:
                raise AssertionError(f"sftp connection closed: {self.p.stderr.read()!r}")
            out += b
        return out

    def recv(self):
        length, kind = struct.unpack(">IB", self._read(5))
        return kind, self._read(length - 1)

    def call(self, kind, body):
        """Sends a request; returns the reply (kind, body after its id)."""
        self.next_id += 1
        self.send(kind, struct.pack(">I", self.next_id) + body)
        reply, data = self.recv()
        assert struct.unpack(">I", data[:4])[0] == self.next_id
        return reply, data[4:]

    def ok(self, kind, body):
        reply, data = self.call(kind, body)
        code = struct.unpack(">I", data[:4])[0] if reply == FXP_STATUS else None
        if code != 0:
            raise AssertionError(f"SFTP request {kind}: reply {reply}, status {code}: {data!r}")

    def put_sparse(self, local, remote):
        """LOCAL's data extents written at their offsets, then its size set."""
        reply, data = self.call(FXP_OPEN, _string(remote.encode()) + struct.pack(
            ">II", FXF_WRITE | FXF_CREAT | FXF_TRUNC, 0))
        assert reply == FXP_HANDLE, (reply, data)
        handle = _string(data[4:4 + struct.unpack(">I", data[:4])[0]])
        with open(local, "rb") as f:
            for off, length in _extents(f.fileno()):
                for pos in range(off, off + length, CHUNK):
                    block = os.pread(f.fileno(), min(CHUNK, off + length - pos), pos)
                    self.ok(FXP_WRITE, handle + struct.pack(">Q", pos) + _string(block))
            size = os.fstat(f.fileno()).st_size
        self.ok(FXP_FSETSTAT, handle + struct.pack(">IQ", ATTR_SIZE, size))
        self.ok(FXP_CLOSE, handle)

    def close(self):
        self.p.stdin.close()
        try:
            self.p.wait(timeout=30)
        finally:
            self.p.stdout.close()
            self.p.stderr.close()


def _string(b):
    return struct.pack(">I", len(b)) + b


def _extents(fd):
    """(offset, length) of FD's data extents (SEEK_DATA / SEEK_HOLE)."""
    size, off = os.fstat(fd).st_size, 0
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:
            return
        end = os.lseek(fd, start, os.SEEK_HOLE)
        yield start, end - start
        off = end


# --- the checks ---------------------------------------------------------------------


def check_login(c, s):
    p = s.ssh(["id", "-un"])
    c.eq("key login as root", (p.returncode, p.stdout.strip()), (0, "root"))
    p = s.enter(["ssh", *s.client_options(), "-O", "check", "127.0.0.1"])
    c.true("the ControlMaster runs after the first login", "Master running" in p.stderr,
           p.stderr)
    # A fresh connection (no master) shows the host key it is offered.
    p = s.ssh(["true"], options=["-v", "-o", "ControlPath=none"])
    shown = [line.split()[-1] for line in p.stderr.splitlines() if "Server host key:" in line]
    c.eq("the host key the client is shown", shown, [s.host_key_fingerprint()])


def check_sftp(c, s, work):
    local = sparse_file(os.path.join(work, "sparse.img"))
    want = t.file_sha256(local)
    data = sum(length for _, _, length in WRITES)
    remote = os.path.join(work, "remote")
    os.makedirs(remote)
    put = os.path.join(remote, "put.img")
    p = s.sftp(f"put {local} {put}\n")
    c.eq("sftp -b put exits 0", (p.returncode, p.stderr), (0, ""))
    c.eq("sftp put: sha256sum on the remote side", remote_sha256(s, put), want)
    size, allocated = remote_stat(s, put)
    c.eq("sftp put: size", size, SIZE)
    c.true("sftp put fills the holes (OpenSSH's sftp sends the zeros)", allocated >= SIZE - MIB,
           f"allocated {allocated} of {SIZE}")
    print(f"sftp put of a {SIZE}-byte file with {data} bytes of data: {allocated} allocated")

    offsets = os.path.join(remote, "offsets.img")
    client = Sftp(s)
    try:
        client.put_sparse(local, offsets)
    finally:
        client.close()
    c.eq("SFTP writes at offsets: sha256sum on the remote side", remote_sha256(s, offsets), want)
    size, allocated = remote_stat(s, offsets)
    c.eq("SFTP writes at offsets: size", size, SIZE)
    c.true("SFTP writes at offsets keep the holes", allocated <= data + 2 * MIB,
           f"allocated {allocated} for {data} bytes of data")
    print(f"SFTP writes at offsets: {allocated} allocated")


def check_cut(c, s):
    client = subprocess.Popen(s.ssh_argv(["sleep", "60"]), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        t.wait_for(lambda: any(_comm(p) == "sleep" for p in s.session_pids()),
                   "the remote sleep", seconds=20)
        s.kill_connections()
        rc = client.wait(timeout=20)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(timeout=10)
        client.stderr.close()
    c.eq("a cut session's client exits 255", rc, 255)
    c.true("the listener stays after the cut", sshd.listening(s.listener.pid, s.port))
    p = s.ssh(["echo", "again"])
    c.eq("a new login after the cut", (p.returncode, p.stdout), (0, "again\n"))


def check_password_refused(c, s):
    p = s.ssh(["true"], options=[
        "-v", "-o", "ControlPath=none", "-o", "PubkeyAuthentication=no",
        "-o", "PreferredAuthentications=password,keyboard-interactive"])
    c.eq("a password login is refused", p.returncode, 255)
    offered = sorted({line.rsplit(": ", 1)[1].strip() for line in p.stderr.splitlines()
                      if "Authentications that can continue" in line})
    c.eq("the server offers publickey only", offered, ["publickey"])


PASSWORD = "kvmr test pass: 'quoted' $(x) \u30d1\u30b9"


def check_password_mode(c, work):
    etc = ("/etc/shadow", "/etc/passwd", "/etc/group")
    before = {f: t.file_sha256(f) for f in etc}
    with sshd.Sshd(work, password=PASSWORD, users={"rescuer": True, "plain": False}) as s:
        p = s.password_ssh(["id", "-un"], PASSWORD)
        c.eq("root logs in with the right password", (p.returncode, p.stdout.strip()),
             (0, "root"))
        p = s.password_ssh(["id", "-un"], PASSWORD + "x")
        c.eq("a wrong password is refused", p.returncode, 255)
        c.true("ssh says so", "Permission denied" in p.stderr, p.stderr)
        p = s.ssh(["id", "-un"])
        c.eq("root's key still logs in", (p.returncode, p.stdout.strip()), (0, "root"))
        p = s.ssh(["sh", "-c", "id -un; sudo -n id -un"], user="rescuer")
        c.eq("rescuer logs in by key and runs sudo -n as root",
             (p.returncode, p.stdout.split()), (0, ["rescuer", "root"]))
        p = s.ssh(["sudo", "-n", "true"], user="plain")
        c.true("a user without passwordless sudo is refused by sudo -n",
               p.returncode == 1 and "password is required" in p.stderr,
               (p.returncode, p.stderr))
    c.eq("this machine's /etc/shadow, passwd, group unchanged",
         {f: t.file_sha256(f) for f in etc}, before)


def check_outside(c, s):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        try:
            sock.connect(("127.0.0.1", s.port))
            reached = "connected"
        except OSError as e:
            reached = type(e).__name__
    c.eq("the port from this machine's own namespace", reached, "ConnectionRefusedError")
    c.true("nothing listens on the port here", not sshd.listening("self", s.port))


def check_changed_host_key(c, s):
    old = s.host_key_fingerprint()
    new = s.new_host_key()
    c.true("a new host key", new != old, new)
    p = s.ssh(["true"], options=["-o", "ControlPath=none"])
    c.eq("a changed host key is refused", p.returncode, 255)
    c.true("ssh says the host key changed", "REMOTE HOST IDENTIFICATION HAS CHANGED" in p.stderr,
           p.stderr)


def check_with_libvirtd(c, work):
    """The "second host" whole: sshd in the namespaces of a private
    libvirtd (kvmr_libvirtd.py), its sessions reach that libvirtd."""
    missing = [n for n in lvd.TOOLS if shutil.which(n) is None]
    if missing:
        c.skip("sshd beside a private libvirtd", f"{', '.join(missing)} not installed")
        return
    with lvd.Libvirtd(work) as lv, sshd.Sshd(work, libvirtd=lv) as s:
        p = s.ssh(["virsh", "-c", "qemu:///system", "uri"])
        c.eq("virsh over ssh reaches the namespace's libvirtd", (p.returncode, p.stdout.strip()),
             (0, "qemu:///system"))
        p = s.ssh(["findmnt", "-n", "-o", "FSTYPE", "/var/lib/libvirt"])
        c.eq("the sessions see the libvirtd's private /var/lib/libvirt", p.stdout.strip(), "tmpfs")


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def main():
    sshd.require()
    t.require_tools("sha256sum", "stat")
    c = t.Checker()
    base = os.environ.get("KVMR_FIXTURES")
    work = tempfile.mkdtemp(prefix="sshd-harness.", dir=os.path.dirname(base) if base else None)
    try:
        with sshd.Sshd(work) as s:
            check_login(c, s)
            check_sftp(c, s, work)
            check_cut(c, s)
            check_password_refused(c, s)
            check_outside(c, s)
            listener, holder = s.listener.pid, s.holder.pid
            check_changed_host_key(c, s)
            listener2 = s.listener.pid
        for what, pid in (("the first sshd", listener), ("the restarted sshd", listener2),
                          ("the namespace holder", holder)):
            c.true(f"{what} has ended", not os.path.exists(f"/proc/{pid}"))
        check_password_mode(c, work)
        check_with_libvirtd(c, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
