#!/usr/bin/env python3
"""The restore script on a live KVM host that already has its own domains,
networks, pools and secrets (issue 22), against a real libvirt (libvirtd 9
with the QEMU driver in private namespaces of the test: kvmr_libvirtd.py).

The story fixture (web01 autostart, mail01 with two snapshots, app01
autostart with UEFI; network default on virbr0; pool default at
/var/lib/libvirt/images; one ceph secret) is planned and copied onto a
tmpfs target, bound at /var/lib/libvirt/images inside. Before the restore
this host gets objects of its own:
- a domain mail01 (the rescued mail01's name, another UUID) whose interface
  has web01's MAC address;
- a domain host-app with app01's UUID;
- a network default on another bridge (br-host);
- a pool default at the same target path (the same pool: reused);
- the rescued secret's UUID with another value.
Then, with --allow-emulation --start:
- the dry run lists exactly what is refused (mail01, app01, network
  default, the secret), reused (pool default) and defined (web01), and
  changes nothing;
- a real run with web01's memory in the payload raised above this
  machine's MemAvailable (in GiB: the unit attribute is honoured) refuses
  mail01, app01 (nor their snapshots, nor app01's UEFI store), the network
  and the secret, reuses the pool, defines web01, warns about its MAC,
  starts nothing and says why, exits 3 and lists each VM's state;
- a second run with web01's XML as the old host wrote it defines web01
  again (this script defined it) and starts it (TCG: the namespace hides
  any /dev/kvm): running.
Then --rename (restore_rename.sh), with --allow-emulation:
- a rename that cannot be done (no such rescued domain, a name this host
  has, a '/') stops the run, exit 2, the reason said, nothing defined;
- the dry run says mail01 (this host has its name) becomes a Japanese name
  with a quote, its UUID kept, and app01 (this host has its UUID) becomes
  app01-rescued with a new UUID, its UEFI variable store as
  app01-rescued_VARS.fd, while this host's host-app has its own store at
  app01's old path;
- the real run defines both so, mail01's snapshots under the new name, the
  store copied from the payload, this host's file untouched.
Last, the hostile fixture (a domain named with quotes, `$()` and Japanese)
on another private libvirt whose host has a domain of that name and one
with mail01's UUID: `--rename` gives the first a Japanese name (its UUID
kept) and mail01 a new name and UUID, with which libvirt redefines its
snapshots; no command in a name runs. That host also has a file where
app01's UEFI variable store goes (left behind, no domain of its own):
app01 is refused, naming the file, rather than defined to boot with it
(exit 3), and the file is untouched.
Every object of this host is the same (its XML, the secret's value, its
UEFI variable store) after each run. Expectations come from the old disk's files (ElementTree on its
/etc/libvirt, read through kvm-rescue mount-ro) and from this test's own
objects, never from kvm-rescue's output.
"""
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_bootvms as bv  # noqa: E402
import kvmr_copylib as cl  # noqa: E402
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_testlib as t  # noqa: E402
import restore_libvirt_test as rl  # noqa: E402

IMAGES = rl.IMAGES
SCRIPT = rl.SCRIPT
HOST_UUID_MAIL = "0a0a0a0a-1111-4222-8333-444444444444"
HOST_VALUE = "SG9zdE93blZhbHVlT2ZUaGlzU2VjcmV0"  # base64 of "HostOwnValueOfThisSecret"
NVRAM_DIR = "/var/lib/libvirt/qemu/nvram"
APP_STORE = f"{NVRAM_DIR}/app01_VARS.fd"  # app01's on the old host; host-app's here
HOST_STORE = b"this host's own UEFI variable store of host-app"
STALE_STORE = b"a UEFI variable store left behind on this host"
RENAMED_MAIL = 'メール01 "rescued"'
RENAMED_APP = "app01-rescued"
# scripts/make-fixture's HOSTILE_NAME as the plan rescues it (libvirt refuses its '/')
HOSTILE = 'shop "test" $(touch _tmp_pwned) ウェブ'
RENAMED_HOSTILE = "ウェブ 新"
RENAMED_MAIL2 = "mail01 (rescued)"


def host_domain(name, uuid, mac, nvram=""):
    fw = ("<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
          f"<nvram>{nvram}</nvram>" if nvram else "")
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type>{fw}</os>{"<features><acpi/></features>" if nvram else ""}
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='bridge'><mac address='{mac}'/><source bridge='br0'/></interface>
  </devices>
</domain>
"""


def define_host_objects(lv, work, old, web_mac):
    """This host's own objects; returns the secret's UUID."""
    d = os.path.join(work, "host-xml")
    os.makedirs(d, exist_ok=True)
    uuid = sorted(old["secret"])[0]
    objects = [
        ("define", host_domain("mail01", HOST_UUID_MAIL, web_mac)),
        ("define", host_domain("host-app", old["domain"]["app01"]["uuid"], "52:54:00:99:00:02",
                               APP_STORE)),
        ("net-define", "<network><name>default</name><forward mode='bridge'/>"
                       "<bridge name='br-host'/></network>\n"),
        ("pool-define", f"<pool type='dir'><name>default</name><target><path>{IMAGES}</path>"
                        "</target></pool>\n"),
        ("secret-define", f"<secret ephemeral='no' private='no'><uuid>{uuid}</uuid>"
                          "<usage type='ceph'><name>this host's ceph</name></usage></secret>\n"),
    ]
    for i, (verb, text) in enumerate(objects):
        path = os.path.join(d, f"{i}.xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        lv.virsh(verb, path, check=True)
    os.makedirs(lv.outside(NVRAM_DIR), exist_ok=True)
    with open(lv.outside(APP_STORE), "wb") as f:
        f.write(HOST_STORE)
    value = os.path.join(d, "value")
    with open(value, "w", encoding="ascii") as f:
        f.write(HOST_VALUE)
    lv.virsh("secret-set-value", "--secret", uuid, "--file", value, check=True)
    return uuid


def host_state(lv, secret):
    """This host's own objects as libvirt describes them."""
    return {
        "mail01": lv.virsh("dumpxml", "--inactive", HOST_UUID_MAIL).stdout,
        "host-app": lv.virsh("dumpxml", "--inactive", "host-app").stdout,
        "mail01 snapshots": lv.virsh("snapshot-list", HOST_UUID_MAIL, "--name").stdout.split(),
        "network default": lv.virsh("net-dumpxml", "--inactive", "default").stdout,
        "pool default": lv.virsh("pool-dumpxml", "--inactive", "default").stdout,
        "secret": lv.virsh("secret-dumpxml", secret).stdout,
        "secret value": lv.virsh("secret-get-value", secret).stdout.strip(),
        "host-app's UEFI variable store": read_bytes(lv.outside(APP_STORE)),
    }


def read_bytes(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def refused_lines(text):
    return sorted(re.findall(r"^REFUSED: (domain \S+|network \S+|storage pool \S+|secret \S+|"
                             r"nothing started)", text, re.M))


def expected_refusals(secret, memory):
    return sorted(["domain app01:", "domain mail01:", "network default:", f"secret {secret}:"] +
                  (["nothing started"] if memory else []))


def check_host_unchanged(c, lv, secret, before, what):
    after = host_state(lv, secret)
    for k, v in before.items():
        c.eq(f"{what}: this host's {k} unchanged", after.get(k), v)
    c.eq(f"{what}: this host's secret keeps its value", after["secret value"], HOST_VALUE)


def check_dry_run(c, lv, secret, before, old):
    p = lv.run(["bash", SCRIPT, "--dry-run", "--start", "--allow-emulation"], timeout=300)
    out = p.stdout + p.stderr
    c.eq("dry run: exit code (something would be refused)", p.returncode, 3)
    c.eq("dry run: exactly these refused", refused_lines(out), expected_refusals(secret, True))
    c.true("dry run: pool default reused", "storage pool default: reused" in out, out[-3000:])
    c.true("dry run: web01 would be defined",
           f"would run: v define {rl.payload(old['domain']['web01']['path'])}" in out)
    c.true("dry run: nothing said about defining mail01 or app01",
           not re.search(r"would run: v define \S+/(mail01|app01)\.xml", out))
    c.true("dry run: mail01's snapshots not redefined",
           "would run: v snapshot-create" not in out and
           "not redefined: snapshot before-update of mail01 (the domain was refused)" in out)
    c.eq("dry run: no domain defined", rl.names(lv, "list", "--all", "--name"),
         sorted(["host-app", "mail01"]))
    check_host_unchanged(c, lv, secret, before, "dry run")


def run_restore(c, lv, what, rc, args=("--start",)):
    p = lv.run(["bash", SCRIPT, "--allow-emulation", *args], timeout=600)
    c.eq(f"{what}: exit code", p.returncode, rc)
    log = lv.outside("/var/log/kvm-rescue-restore.log")
    text = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) else ""
    c.eq(f"{what}: no FAILED step", [x for x in text.splitlines() if "FAILED" in x], [])
    if p.returncode != rc:
        print(f"--- {what}: the end of the restore log\n{text[-4000:]}\n{p.stderr[-1000:]}")
    rep = lv.outside("/var/lib/kvm-rescue/restore-report.txt")
    report = open(rep, encoding="utf-8").read() if os.path.exists(rep) else ""
    c.true(f"{what}: not marked done", not os.path.exists(lv.outside(
        "/var/lib/kvm-rescue/restore.done")))
    return p, text, report


def check_first_run(c, lv, old, secret, before, web_mac, need_mib):
    p, log, report = run_restore(c, lv, "run with web01 too big", 3)
    c.eq("refused, on stderr", refused_lines(p.stderr), expected_refusals(secret, True))
    c.eq("refused, in the report", refused_lines(report), expected_refusals(secret, True))
    c.true("the report says why nothing started",
           re.search(rf"nothing started: the autostart VMs need {need_mib} MiB together, this "
                     r"host has \d+ MiB available \(MemAvailable\)", report) is not None,
           report[-2000:])
    c.true("the secret's other value is said loudly",
           f"secret {secret}: THIS HOST ALREADY HAS IT WITH ANOTHER VALUE" in report)
    c.true("pool default reused", "storage pool default: reused: this host already has a pool "
           f"of that name with the same target path {IMAGES}" in report)
    c.true("web01's MAC in use here: a warning",
           f"WARNING: domain web01: its MAC address {web_mac} is already used by this host's "
           "domain mail01" in report)
    c.eq("domains: this host's and web01", rl.names(lv, "list", "--all", "--name"),
         sorted(["host-app", "mail01", "web01"]))
    c.eq("web01: its UUID", rl.info(lv, "dominfo", "web01").get("UUID"),
         old["domain"]["web01"]["uuid"])
    c.eq("networks: only this host's", rl.names(lv, "net-list", "--all", "--name"), ["default"])
    c.eq("pools: only this host's", rl.names(lv, "pool-list", "--all", "--name"), ["default"])
    c.eq("secrets: only this host's", rl.secret_uuids(lv), [secret])
    c.eq("app01's UEFI variable store not installed over host-app's",
         read_bytes(lv.outside(APP_STORE)), HOST_STORE)
    c.eq("web01 not started", rl.info(lv, "dominfo", "web01").get("State"), "shut off")
    for line in ("web01: shut off", "mail01: REFUSED: this host already has a domain of that name",
                 "app01: REFUSED: this host's domain host-app already has its UUID"):
        c.true(f"the report's state list: {line}", line in report, report[-2000:])
    check_host_unchanged(c, lv, secret, before, "first run")


def check_second_run(c, lv, secret, before, old):
    path = lv.outside("/var/lib/kvm-rescue/restore.defined")
    defined = open(path, encoding="ascii").read() if os.path.exists(path) else "(none)"
    listed = f"domain {old['domain']['web01']['uuid']}\n" in defined
    c.true("the first run listed web01 as its own", listed, defined)
    if not listed:
        print(open(lv.outside("/var/log/kvm-rescue-restore.log"), encoding="utf-8").read())
    p, log, report = run_restore(c, lv, "second run", 3)
    c.eq("second run: refused", refused_lines(p.stderr), expected_refusals(secret, False))
    c.true("second run: web01 started",
           re.search(r"^starting the autostart VMs: web01 \(2048 MiB\)", log, re.M) is not None,
           log[-2000:])
    c.eq("second run: web01 running", rl.info(lv, "dominfo", "web01").get("State"), "running")
    c.true("second run: the report says web01: running", "\nweb01: running\n" in report,
           report[-1500:])
    c.eq("second run: web01 has the old host's memory again",
         rl.info(lv, "dominfo", "web01").get("Max memory"), "2097152 KiB")
    check_host_unchanged(c, lv, secret, before, "second run")


def check_rename_refusals(c, lv, secret, before):
    """A --rename that cannot be done: exit 2, the reason, nothing defined."""
    domains = rl.names(lv, "list", "--all", "--name")
    for dry, new, why in (("--dry-run", "x", "no rescued domain nosuch (the rescued domains: "),
                          ("--start", "host-app", "this host already has a domain host-app"),
                          ("--start", "a/b", "the new name holds a '/'")):
        old_name = "nosuch" if new == "x" else "mail01"
        p = lv.run(["bash", SCRIPT, "--allow-emulation", dry, "--rename", old_name, new],
                   timeout=300)
        c.eq(f"--rename {old_name} {new} ({dry}): exit code", p.returncode, 2)
        c.true(f"--rename {old_name} {new} ({dry}): says why",
               f"REFUSED: --rename {old_name} {new}: {why}" in p.stdout + p.stderr,
               (p.stdout + p.stderr)[-1500:])
    c.eq("refused renames: no domain defined", rl.names(lv, "list", "--all", "--name"), domains)
    check_host_unchanged(c, lv, secret, before, "refused renames")


def payload_store(target):
    """The payload's copy of app01's UEFI variable store."""
    for top, _dirs, files in os.walk(os.path.join(target, "kvm-rescue/payload")):
        if "app01_VARS.fd" in files:
            return os.path.join(top, "app01_VARS.fd")
    return None


def check_renamed(c, lv, old, secret, before, target):
    """mail01 (this host has its name) and app01 (its UUID) renamed."""
    args = ["--rename", "mail01", RENAMED_MAIL, "--rename", "app01", RENAMED_APP]
    domains = rl.names(lv, "list", "--all", "--name")
    mail_uuid = old["domain"]["mail01"]["uuid"]
    app_uuid = old["domain"]["app01"]["uuid"]
    new_store = f"{NVRAM_DIR}/{RENAMED_APP}_VARS.fd"
    p = lv.run(["bash", SCRIPT, "--allow-emulation", "--dry-run", *args], timeout=300)
    out = p.stdout + p.stderr
    c.eq("rename dry run: exit code (the network and secret)", p.returncode, 3)
    c.true("rename dry run: mail01's new name is free, its UUID kept",
           f"rename: domain mail01 is defined as {RENAMED_MAIL}: {RENAMED_MAIL} is free on this "
           f"host; its UUID {mail_uuid} kept" in out, out[-3000:])
    c.true("rename dry run: app01 gets a new UUID and store",
           f"rename: domain app01 is defined as {RENAMED_APP}: {RENAMED_APP} is free on this host;"
           f" its UUID {app_uuid} is this host's domain host-app's: it gets the UUID " in out and
           f"its UEFI variable store {APP_STORE} becomes {new_store}" in out)
    c.true("rename dry run: the store would be installed under the new name",
           f"would run: install -D -m 0600 {IMAGES}" in out and f" {new_store}\n" in out)
    c.eq("rename dry run: nothing defined", rl.names(lv, "list", "--all", "--name"), domains)
    p, log, report = run_restore(c, lv, "run with --rename", 3, args)
    c.eq("renamed: refused", refused_lines(p.stderr),
         sorted(["network default:", f"secret {secret}:"]))
    c.eq("renamed: the domains", rl.names(lv, "list", "--all", "--name"),
         sorted(domains + [RENAMED_MAIL, RENAMED_APP]))
    c.eq(f"{RENAMED_MAIL}: mail01's UUID", rl.info(lv, "dominfo", RENAMED_MAIL).get("UUID"),
         mail_uuid)
    c.eq(f"{RENAMED_MAIL}: mail01's snapshots",
         sorted(lv.virsh("snapshot-list", RENAMED_MAIL, "--name").stdout.split()),
         sorted(n for d, n in old["snapshot"] if d == "mail01"))
    uuid = rl.info(lv, "dominfo", RENAMED_APP).get("UUID") or ""
    c.true(f"{RENAMED_APP}: a new UUID", re.fullmatch(r"[0-9a-f-]{36}", uuid) is not None and
           uuid not in (app_uuid, mail_uuid), uuid)
    x = ET.fromstring(lv.virsh("dumpxml", "--inactive", RENAMED_APP, check=True).stdout)
    c.eq(f"{RENAMED_APP}: its store", x.findtext("./os/nvram"), new_store)
    src = payload_store(target)
    c.true("the payload has app01's store", src is not None)
    c.eq(f"{RENAMED_APP}: its store copied from the payload", read_bytes(lv.outside(new_store)),
         read_bytes(src) if src else b"")
    c.true("the report names the old name",
           f"{RENAMED_MAIL} (mail01 on the old host): shut off" in report, report[-1500:])
    check_host_unchanged(c, lv, secret, before, "run with --rename")


def restore_hostile(c, binary, work):
    """The hostile fixture's domain (quotes, $(), Japanese) and mail01 (this
    host has its UUID) renamed on another private libvirt."""
    ids = t.fixture_ids()
    target = os.path.join(work, "target-hostile")
    os.makedirs(target)
    pwned = os.path.exists("/tmp/pwned")
    t.run(["mount", "-t", "tmpfs", "-o", "size=4g", "kvmr-target", target], check_rc=0, timeout=60)
    try:
        wk = os.path.join(work, "hostile")
        os.makedirs(wk)
        plan = os.path.join(wk, "plan.json")
        p = t.run([binary, "plan", t.fixture("hostile.img"), "--target", target, "-o", plan],
                  timeout=600)
        c.eq("hostile: plan exit code (a warning: the name's '/')", p.returncode, 1)
        p = t.run([binary, "copy", "--plan", plan], timeout=600)
        if not cl.exit_code_is(c, "hostile: copy exit code", p, 0):
            return
        with lvd.Libvirtd(os.path.join(work, "libvirt-hostile")) as lv:
            bv.hide_kvm(lv)
            lv.tmpfs("/var/lib/kvm-rescue")
            lv.bind(target, IMAGES)
            mine = {HOSTILE: HOST_UUID_MAIL, "host-mail": ids["DOM_UUID_MAIL01"]}
            for i, (name, uuid) in enumerate(mine.items()):
                path = os.path.join(wk, f"host-{i}.xml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(host_domain(escape(name), uuid, f"52:54:00:99:01:0{i}"))
                lv.virsh("define", path, check=True)
            before = {n: lv.virsh("dumpxml", "--inactive", u).stdout for n, u in mine.items()}
            os.makedirs(lv.outside(NVRAM_DIR), exist_ok=True)
            with open(lv.outside(APP_STORE), "wb") as f:
                f.write(STALE_STORE)
            p = lv.run(["bash", SCRIPT, "--allow-emulation", "--rename", HOSTILE, RENAMED_HOSTILE,
                        "--rename", "mail01", RENAMED_MAIL2], timeout=600)
            log = open(lv.outside("/var/log/kvm-rescue-restore.log"), encoding="utf-8").read()
            c.eq("hostile: exit code (app01 refused)", p.returncode, 3)
            if p.returncode != 3:
                print(f"--- hostile: the end of the restore log\n{log[-4000:]}\n{p.stderr}")
            c.eq("hostile: no FAILED step", [x for x in log.splitlines() if "FAILED" in x], [])
            c.eq("hostile: refused", refused_lines(log), ["domain app01:"])
            c.true("hostile: app01 refused for the file at its store",
                   f"REFUSED: domain app01: this host already has a file {APP_STORE}, the UEFI "
                   "variable store it names" in log, log[-3000:])
            c.true("app01: not defined", lv.virsh("dominfo", "app01").returncode != 0)
            c.eq("the file at app01's store untouched", read_bytes(lv.outside(APP_STORE)),
                 STALE_STORE)
            c.eq(f"{RENAMED_HOSTILE}: the hostile domain's UUID",
                 rl.info(lv, "dominfo", RENAMED_HOSTILE).get("UUID"), ids["DOM_UUID_HOSTILE"])
            uuid = rl.info(lv, "dominfo", RENAMED_MAIL2).get("UUID") or ""
            c.true(f"{RENAMED_MAIL2}: a new UUID", re.fullmatch(r"[0-9a-f-]{36}", uuid) is not None
                   and uuid != ids["DOM_UUID_MAIL01"], uuid)
            c.eq(f"{RENAMED_MAIL2}: its snapshots, redefined against the new UUID",
                 sorted(lv.virsh("snapshot-list", RENAMED_MAIL2, "--name").stdout.split()),
                 ["after-update", "before-update"])
            c.eq("hostile: this host's domains unchanged",
                 {n: lv.virsh("dumpxml", "--inactive", u).stdout for n, u in mine.items()}, before)
            c.true("hostile: no command in a name ran", os.path.exists("/tmp/pwned") == pwned and
                   not os.path.exists(os.path.join(lv.outside("/"), "_tmp_pwned")))
    finally:
        t.run(["umount", target], check_rc=0, timeout=60)


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mem_available_kib():
    with open("/proc/meminfo", encoding="ascii") as f:
        return int(re.search(r"^MemAvailable:\s+(\d+) kB", f.read(), re.M).group(1))


def grow_memory(path, gib):
    """web01's <memory> and <currentMemory> as GIB GiB; returns the old text."""
    text = open(path, encoding="utf-8").read()
    new = re.sub(r"<memory unit='KiB'>\d+</memory>", f"<memory unit='GiB'>{gib}</memory>", text)
    new = re.sub(r"<currentMemory unit='KiB'>\d+</currentMemory>",
                 f"<currentMemory unit='GiB'>{gib}</currentMemory>", new)
    assert new != text, "web01.xml has no KiB memory to raise"
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)
    return text


def restore_on_live_host(c, work, target, old):
    web_xml = os.path.join(target, "kvm-rescue/payload", old["domain"]["web01"]["path"].lstrip("/"))
    web_mac = ET.parse(web_xml).getroot().find("./devices/interface/mac").get("address")
    with lvd.Libvirtd(os.path.join(work, "libvirt")) as lv:
        bv.hide_kvm(lv)  # TCG: this machine's KVM may not run the adapted CPU
        for b in ("br0", "br-host"):
            lv.bridge(b)
        lv.tmpfs("/var/lib/kvm-rescue")
        lv.bind(target, IMAGES)
        secret = define_host_objects(lv, work, old, web_mac)
        before = host_state(lv, secret)
        gib = mem_available_kib() // (1 << 20) + 2  # more than this machine has free
        original = grow_memory(web_xml, gib)
        try:
            check_dry_run(c, lv, secret, before, old)
            check_first_run(c, lv, old, secret, before, web_mac, gib * 1024)
        finally:
            with open(web_xml, "w", encoding="utf-8") as f:
                f.write(original)
        check_second_run(c, lv, secret, before, old)
        check_rename_refusals(c, lv, secret, before)
        check_renamed(c, lv, old, secret, before, target)


def main():
    t.require_root_and_loop()
    t.require_tools("bash", "xmllint", "qemu-system-x86_64")
    lvd.require()
    binary = t.env_path("KVMR_BIN")
    story = t.fixture("story.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="restore-live.", dir=os.path.dirname(story))
    try:
        with t.SystemState(work) as sys_state:
            old = rl.old_host(binary, story, work)
            target = os.path.join(work, "target")
            os.makedirs(target)
            t.run(["mount", "-t", "tmpfs", "-o", "size=4g", "kvmr-target", target], check_rc=0,
                  timeout=60)
            try:
                if rl.plan_and_copy(c, binary, story, work, target) is not None:
                    restore_on_live_host(c, work, target, old)
            finally:
                t.run(["umount", target], check_rc=0, timeout=60)
            restore_hostile(c, binary, work)
            sys_state.check()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
