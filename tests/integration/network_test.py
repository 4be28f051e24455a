#!/usr/bin/env python3
"""`kvm-rescue network` on real links, DHCP client and DHCP server, all of
it inside network namespaces this test creates:

- namespace A (the "rescue medium") holds vd0, vs0 and the pair vx0/vx0p;
  namespace B (the "LAN") holds vd0p and vs0p, the other ends of vd0 and
  vs0. Both are held by `unshare -n sleep infinity`; nothing is named in
  /run/netns and no link is made in this machine's namespace (the veth
  pairs are created inside A, their peers moved straight into B).
- dnsmasq (dnsmasq-base) in B serves DHCP on 10.213.77.0/24 with a
  5-minute lease, a router and a DNS server option; leases and pid file
  under the test's work dir.
- kvm-rescue runs inside A (nsenter -n) and in a private mount namespace
  with A's own sysfs on /sys, a tmpfs on /run and an overlay on /etc whose
  upper layer is in the work dir: dhclient-script's resolv.conf lands there, never in this
  machine's /etc/resolv.conf (its hash is compared before and after).
- The listing before: vd0 down; `--dhcp vd0` obtains an address from the
  range (ip -j addr in A, dnsmasq's lease file has vd0's MAC), and the
  DNS server of the lease reached the overlay's resolv.conf;
  `--static vs0 --address 10.214.77.2/24 --gateway 10.214.77.1 --dns
  10.214.77.53 --resolv-conf FILE` sets the address (ip -j addr), the
  default route and FILE; the listing after (text and --json) shows vd0
  and vs0 up with those addresses, vx0 "no-carrier" (its peer vx0p is
  down) and vx0p down, loopback left out, veth marked virtual.
- Refusals before anything changes: a port that does not exist (exit 2,
  names it), an address without a prefix (exit 2, names --address), a
  gateway of the other family. DHCP with no server (vx0) ends after its
  --timeout with "no DHCP server answered" (exit 3).
- Afterwards (also after a failure, SIGTERM or Ctrl-C): the dhclient left
  renewing is stopped through its pid file (and reaped: this test is its
  child subreaper), dnsmasq and the holders ended (they also die with the
  test if it is killed), no process left in either namespace, this
  machine's links, /etc/resolv.conf and /var/lib/dhcp as before.

Skips (exit 77) when not root, when a tool is missing (ip, unshare,
nsenter, dnsmasq, dhclient) or the kernel has no overlay filesystem or
refuses namespaces.
"""
import ctypes
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

TOOLS = ("ip", "unshare", "nsenter", "mount", "dnsmasq", "dhclient")
LAN = "10.213.77"
STATIC = "10.214.77"
DHCP_TIMEOUT = 30  # bound for --dhcp vd0; the server answers in about 2 s
NO_SERVER_TIMEOUT = 3
RUN_SECONDS = 90
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
LIBC = ctypes.CDLL(None, use_errno=True)


def die_with_test():
    """preexec_fn: the holder or dnsmasq is killed if this test is (a
    ctest time-out sends SIGKILL, which no cleanup code sees)."""
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def require():
    if os.geteuid() != 0:
        t.skip("needs root (network and mount namespaces)")
    for n in TOOLS:
        if shutil.which(n) is None:
            t.skip(f"{n} is not installed (scripts/setup installs iproute2, util-linux, "
                   "dnsmasq-base, isc-dhcp-client)")
    with open("/proc/filesystems", encoding="ascii") as f:
        if "overlay" not in f.read():
            t.skip("the kernel has no overlay filesystem (the test keeps dhclient-script "
                   "off this machine's /etc with it)")
    p = subprocess.run(["unshare", "-m", "-n", "--propagation", "private", "true"],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        t.skip(f"root may not create namespaces here ({p.stderr.strip() or p.returncode})")


def file_hash(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as e:
        return f"unreadable: {e}"


def host_state():
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True).stdout
    names = sorted(line.split(":")[1].strip() for line in links.splitlines())
    dhcp_dir = sorted(os.listdir("/var/lib/dhcp")) if os.path.isdir("/var/lib/dhcp") else []
    return {"links": names, "resolv.conf": file_hash("/etc/resolv.conf"),
            "/var/lib/dhcp": dhcp_dir}


def netns_of(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def pids_in(netns):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and netns_of(d) == netns:
            out.append(int(d))
    return out


def reap_children(seconds=10):
    """Collects every child that has ended: the dhclient that went to the
    background (re-parented to this process, a child subreaper) and, after
    an interruption, the kvm-rescue that was running; all were ended above."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.1)


class Lab:
    """The two namespaces, dnsmasq, and how to run things in them."""

    def __init__(self, work):
        self.work = work
        self.holders = {}
        self.netns = {}
        self.dnsmasq = None
        self.runs = 0

    def __enter__(self):
        for name in ("A", "B"):
            h = subprocess.Popen(["unshare", "-n", "sleep", "infinity"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, preexec_fn=die_with_test)
            self.holders[name] = h
            t.wait_for(lambda h=h: netns_of(h.pid) not in (None, netns_of("self")),
                       f"namespace {name}", seconds=10)
            self.netns[name] = netns_of(h.pid)
        return self

    def nsfile(self, name):
        return f"/proc/{self.holders[name].pid}/ns/net"

    def ip(self, name, *args, check=True):
        return t.run(["nsenter", f"--net={self.nsfile(name)}", "ip", *args],
                     check_rc=0 if check else None, timeout=30)

    def links(self):
        a = self.ip("A", "link", "add", "vd0", "type", "veth", "peer", "name", "vd0p",
                    "netns", str(self.holders["B"].pid))
        assert a.returncode == 0
        self.ip("A", "link", "add", "vs0", "type", "veth", "peer", "name", "vs0p",
                "netns", str(self.holders["B"].pid))
        self.ip("A", "link", "add", "vx0", "type", "veth", "peer", "name", "vx0p")
        self.ip("A", "link", "set", "lo", "up")
        self.ip("A", "link", "set", "vx0", "up")  # its peer stays down: no carrier
        self.ip("B", "link", "set", "lo", "up")
        self.ip("B", "addr", "add", f"{LAN}.1/24", "dev", "vd0p")
        self.ip("B", "link", "set", "vd0p", "up")
        self.ip("B", "addr", "add", f"{STATIC}.1/24", "dev", "vs0p")
        self.ip("B", "link", "set", "vs0p", "up")

    def start_dnsmasq(self):
        pidfile = os.path.join(self.work, "dnsmasq.pid")
        self.dnsmasq = subprocess.Popen(
            ["nsenter", f"--net={self.nsfile('B')}", "dnsmasq", "--keep-in-foreground",
             "--conf-file=/dev/null", "--port=0", "--no-resolv", "--no-hosts",
             "--bind-interfaces", "--interface=vd0p", "--except-interface=lo", "--user=root",
             f"--dhcp-range={LAN}.50,{LAN}.60,255.255.255.0,5m",
             f"--dhcp-option=option:router,{LAN}.1",
             f"--dhcp-option=option:dns-server,{LAN}.53",
             f"--dhcp-leasefile={os.path.join(self.work, 'dnsmasq.leases')}",
             f"--pid-file={pidfile}", f"--log-facility={os.path.join(self.work, 'dnsmasq.log')}",
             "--log-dhcp"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, preexec_fn=die_with_test)
        t.wait_for(lambda: os.path.exists(pidfile) or self.dnsmasq.poll() is not None,
                   "dnsmasq's pid file", seconds=20)
        if self.dnsmasq.poll() is not None:
            raise AssertionError(f"dnsmasq ended: {self.dnsmasq.stderr.read()}")

    def kvmr(self, *args):
        """kvm-rescue ARGS in namespace A, in a private mount namespace with
        a tmpfs on /run and /etc overlaid (upper layer: WORK/etc-N/up)."""
        self.runs += 1
        base = os.path.join(self.work, f"etc-{self.runs}")
        up, wk = os.path.join(base, "up"), os.path.join(base, "wk")
        os.makedirs(up)
        os.makedirs(wk)
        # sysfs mounted afterwards inside A shows A's links (a sysfs
        # belongs to the network namespace it was mounted in).
        script = ('up=$1 wk=$2; shift 2; '
                  'mount -t tmpfs tmpfs /run && '
                  'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$up,workdir=$wk" /etc && '
                  'mount -t sysfs sysfs /sys && exec "$@"')
        p = t.run(["unshare", "-m", "--propagation", "private", "nsenter",
                   f"--net={self.nsfile('A')}", "--", "sh", "-c", script, "sh", up, wk,
                   t.env_path("KVMR_BIN"), "network", *args],
                  timeout=RUN_SECONDS)
        return p, up

    def __exit__(self, *exc):
        state = os.path.join(self.work, "state")
        if os.path.isdir(state):
            for f in os.listdir(state):
                if f.endswith(".pid"):
                    try:
                        with open(os.path.join(state, f), encoding="ascii") as pf:
                            pid = int(pf.read().strip())
                        os.kill(pid, signal.SIGTERM)
                        os.waitpid(pid, 0)  # ours: this test is its child subreaper
                    except (OSError, ValueError):
                        pass
        if self.dnsmasq is not None and self.dnsmasq.poll() is None:
            self.dnsmasq.terminate()
            self.dnsmasq.wait(timeout=10)
        # whatever else still runs in our namespaces (a client's child)
        for ns in self.netns.values():
            for pid in pids_in(ns):
                if pid not in (h.pid for h in self.holders.values()):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        for h in self.holders.values():
            h.kill()
            h.wait(timeout=10)
        for ns in self.netns.values():
            t.wait_for(lambda ns=ns: not pids_in(ns), f"no process left in {ns}", seconds=10)
        reap_children()
        return False


def addrs(lab, nic):
    doc = json.loads(lab.ip("A", "-j", "addr", "show", "dev", nic).stdout)
    return [(a["local"], a["prefixlen"]) for a in doc[0].get("addr_info", [])
            if a["family"] == "inet"]


def by_name(doc):
    return {n["name"]: n for n in doc["nics"]}


def check_listing_before(c, lab):
    p, _ = lab.kvmr("--json")
    c.eq("network --json before: exit", p.returncode, 0)
    doc = json.loads(p.stdout)
    t.validate(doc, "network.schema.json")
    nics = by_name(doc)
    c.eq("ports in A (loopback left out)", sorted(nics), ["vd0", "vs0", "vx0", "vx0p"])
    c.eq("vd0 before: switched off", nics["vd0"]["link"], "down")
    c.eq("vx0 (peer down): no carrier", nics["vx0"]["link"], "no-carrier")
    c.eq("vx0p: down", nics["vx0p"]["link"], "down")
    c.eq("veth kind", nics["vd0"]["kind"], "veth")
    c.true("veth marked virtual", nics["vd0"]["virtual"])
    c.eq("vd0 has no IPv4 address yet", addrs(lab, "vd0"), [])


def check_dhcp(c, lab, state):
    p, up = lab.kvmr("--dhcp", "vd0", "--timeout", str(DHCP_TIMEOUT), "--state-dir", state)
    c.eq("--dhcp vd0: exit", p.returncode, 0)
    got = addrs(lab, "vd0")
    c.true("vd0 has an address from the DHCP range", len(got) == 1 and got[0][1] == 24 and
           got[0][0].startswith(f"{LAN}.") and 50 <= int(got[0][0].rsplit(".", 1)[1]) <= 60,
           f"{got} stdout={p.stdout!r} stderr={p.stderr[-800:]!r}")
    if got:
        c.true("the address is in kvm-rescue's answer", got[0][0] in p.stdout, p.stdout)
    c.true("the answer names dhclient", "(dhclient)" in p.stdout, p.stdout)
    mac = json.loads(lab.ip("A", "-j", "link", "show", "dev", "vd0").stdout)[0]["address"]
    with open(os.path.join(lab.work, "dnsmasq.leases"), encoding="ascii") as f:
        c.true("dnsmasq leased to vd0's MAC", mac in f.read())
    c.true("dhclient's lease and pid files are in --state-dir",
           os.path.exists(os.path.join(state, "dhclient-vd0.leases")) and
           os.path.exists(os.path.join(state, "dhclient-vd0.pid")), os.listdir(state))
    resolv = os.path.join(up, "resolv.conf")
    c.true("the lease's DNS server reached the private /etc only",
           os.path.exists(resolv) and f"nameserver {LAN}.53" in open(resolv).read())


def check_static(c, lab, state):
    resolv = os.path.join(lab.work, "resolv.conf")
    p, _ = lab.kvmr("--static", "vs0", "--address", f"{STATIC}.2/24", "--gateway",
                    f"{STATIC}.1", "--dns", f"{STATIC}.53", "--resolv-conf", resolv,
                    "--state-dir", state)
    c.eq("--static vs0: exit", p.returncode, 0)
    c.eq("vs0's address (ip -j addr)", addrs(lab, "vs0"), [(f"{STATIC}.2", 24)])
    routes = json.loads(lab.ip("A", "-j", "route", "show", "default").stdout)
    c.true("default route through the gateway on vs0",
           any(r.get("gateway") == f"{STATIC}.1" and r.get("dev") == "vs0" for r in routes),
           routes)
    c.true("--dns written to --resolv-conf",
           os.path.exists(resolv) and f"nameserver {STATIC}.53\n" in open(resolv).read())


def check_listing_after(c, lab):
    p, _ = lab.kvmr("--json")
    nics = by_name(json.loads(p.stdout))
    c.eq("vd0 after --dhcp: up", nics["vd0"]["link"], "up")
    c.eq("vs0 after --static: up", nics["vs0"]["link"], "up")
    c.true("vs0's address listed", {"family": "ipv4", "address": f"{STATIC}.2", "prefix": 24,
                                    "scope": "global"} in nics["vs0"]["addresses"],
           nics["vs0"]["addresses"])
    p, _ = lab.kvmr()
    c.true("text: at most 80 columns", all(len(line) <= 80 for line in p.stdout.splitlines()),
           p.stdout)
    rows = {}  # port -> its row and its address lines below (indented)
    for line in p.stdout.splitlines()[1:]:
        if line.strip() and not line[0].isspace():
            port = line.split()[0]
            rows[port] = line
        elif line.strip():
            rows[port] += "\n" + line
    c.true("text: vx0 has no cable", "no cable" in rows.get("vx0", ""), p.stdout)
    c.true("text: vx0p down", rows.get("vx0p", "").split()[1:2] == ["down"], p.stdout)
    c.true("text: vs0 up with its address",
           rows.get("vs0", "").split()[1:2] == ["up"] and
           f"\n  {STATIC}.2/24" in rows.get("vs0", ""), p.stdout)


def check_refusals(c, lab, state):
    p, _ = lab.kvmr("--dhcp", "nosuch0", "--state-dir", state)
    c.eq("--dhcp nosuch0: exit", p.returncode, 2)
    c.true("the error names the port", "'nosuch0'" in p.stderr and "vd0" in p.stderr, p.stderr)
    p, _ = lab.kvmr("--static", "vs0", "--address", f"{STATIC}.9", "--state-dir", state)
    c.eq("--address without prefix: exit", p.returncode, 2)
    c.true("the error names --address", "--address" in p.stderr, p.stderr)
    p, _ = lab.kvmr("--static", "vs0", "--address", f"{STATIC}.9/24", "--gateway", "fd00::1",
                    "--state-dir", state)
    c.eq("IPv6 gateway for an IPv4 address: exit", p.returncode, 2)
    c.eq("nothing changed on vs0 by the refusals", addrs(lab, "vs0"), [(f"{STATIC}.2", 24)])
    p, _ = lab.kvmr("--dhcp", "vx0", "--timeout", str(NO_SERVER_TIMEOUT), "--state-dir", state,
                    "--json")
    c.eq("--dhcp with no server: exit", p.returncode, 3)
    c.true("no DHCP server answered, with the time and the link state",
           f"no DHCP server answered within {NO_SERVER_TIMEOUT} s" in p.stderr and
           "no-carrier" in p.stderr, p.stderr)
    doc = json.loads(p.stdout)
    t.validate(doc, "network.schema.json")
    c.eq("--json: the result", {k: doc["result"][k] for k in ("nic", "method", "client", "ok")},
         {"nic": "vx0", "method": "dhcp", "client": "dhclient", "ok": False})
    c.eq("--json: the same error as stderr", f"kvm-rescue network: {doc['result']['error']}\n",
         p.stderr)


def main():
    require()
    # A daemon's double fork lands here, not on this machine's init.
    LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    # SIGTERM and Ctrl-C unwind through Lab's cleanup like an exception.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    c = t.Checker()
    before = host_state()
    with tempfile.TemporaryDirectory(prefix="kvmr-network-") as work:
        state = os.path.join(work, "state")
        with Lab(work) as lab:
            lab.links()
            lab.start_dnsmasq()
            check_listing_before(c, lab)
            check_dhcp(c, lab, state)
            check_static(c, lab, state)
            check_listing_after(c, lab)
            check_refusals(c, lab, state)
            netns = list(lab.netns.values())
        for ns in netns:
            c.eq(f"processes left in {ns}", pids_in(ns), [])
        try:
            os.waitpid(-1, os.WNOHANG)
            c.true("no child of this test left (dhclient reaped)", False)
        except ChildProcessError:
            c.true("no child of this test left (dhclient reaped)", True)
    c.eq("this machine's links, resolv.conf and /var/lib/dhcp", host_state(), before)
    c.finish()


if __name__ == "__main__":
    main()
