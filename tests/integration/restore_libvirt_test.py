#!/usr/bin/env python3
"""The restore script the copy leaves on the data disk, run against a real
libvirt (libvirtd 9 with the QEMU driver in private namespaces of the test:
kvmr_libvirtd.py).

The story fixture (make-fixture dead-host) is planned and copied onto a
tmpfs directory target. The copy leaves kvm-rescue/kvm-rescue-restore there
(0700), the same text as the kickstart's %post installs. Inside the private
libvirt, run from where the target is mounted here, the script refuses
and prints the mount command; the test runs that command as printed (the
target bound over /var/lib/libvirt/images in the namespace). Then:
- `--dry-run` lists every network, pool, secret, domain, snapshot and
  autostart flag, and changes nothing (no object, log or done mark);
- the real run (`--allow-emulation`: this machine may have no KVM) defines
  them all: networks (active when autostarted on the old host; one that
  cannot start is a failure), pools, secrets with their values (a private
  one compared in the private /etc/libvirt/secrets), domains with their
  disks where their XML names them, snapshots with their parents,
  autostart flags as before, the payload's original XML kept unchanged
  beside the adapted copies;
- a second run (done) and a third (done mark removed) change nothing.
Expectations come from the old disk's own files (ElementTree XPath on its
/etc/libvirt, read through kvm-rescue mount-ro), never from kvm-rescue's
output. The source image and the payload are unchanged; nothing is left
running, mounted or bridged outside the namespace.
"""
import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_copylib as cl  # noqa: E402
import kvmr_libvirtd as lvd  # noqa: E402
import kvmr_testlib as t  # noqa: E402

IMAGES = "/var/lib/libvirt/images"  # the plan's data mount (the default)
SCRIPT = f"{IMAGES}/kvm-rescue/kvm-rescue-restore"
PAYLOAD = f"{IMAGES}/kvm-rescue/payload"
OS_DISK = "ata-NEW_SSD_S123"
DATA_DISK = "ata-DATA_HDD_W456"
UUID_RE = re.compile(r"^\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s", re.M)


# --- the old host, from its own files --------------------------------------------


def xml_files(root, folder):
    """(old-host path, parsed root) of FOLDER/*.xml on the old disk that parse."""
    d = os.path.join(root, folder.lstrip("/"))
    out = []
    for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if n.endswith(".xml") and os.path.isfile(os.path.join(d, n)):
            try:
                out.append((f"{folder}/{n}", ET.parse(os.path.join(d, n)).getroot()))
            except ET.ParseError:
                pass
    return out


def autostarted(root, folder, name):
    return os.path.lexists(os.path.join(root, folder.lstrip("/"), "autostart", f"{name}.xml"))


def old_host(binary, story, work):
    """What the old host's libvirt had: {kind: {name: facts}}."""
    old = {"network": {}, "pool": {}, "secret": {}, "domain": {}, "snapshot": {}}
    with cl.SourceTree(binary, story, os.path.join(work, "old-root")) as root:
        for path, x in xml_files(root, "/etc/libvirt/qemu/networks"):
            name = x.findtext("./name")
            old["network"][name] = {"path": path, "uuid": x.findtext("./uuid"),
                                    "autostart": autostarted(root, "/etc/libvirt/qemu/networks",
                                                             name)}
        for path, x in xml_files(root, "/etc/libvirt/storage"):
            name = x.findtext("./name")
            old["pool"][name] = {"path": path, "uuid": x.findtext("./uuid"),
                                 "target": x.findtext("./target/path"),
                                 "autostart": autostarted(root, "/etc/libvirt/storage", name)}
        for path, x in xml_files(root, "/etc/libvirt/secrets"):
            uuid = x.findtext("./uuid")
            value = os.path.join(root, "etc/libvirt/secrets", f"{uuid}.base64")
            old["secret"][uuid] = {
                "path": path, "private": x.get("private") == "yes",
                "value": open(value, encoding="ascii").read().strip()
                if os.path.isfile(value) else None}
        for path, x in xml_files(root, "/etc/libvirt/qemu"):
            if x.tag != "domain":
                continue
            name = x.findtext("./name")
            bridges = {s.get("bridge") for s in x.findall("./devices/interface[@type='bridge']"
                                                          "/source")}
            old["domain"][name] = {"path": path, "uuid": x.findtext("./uuid"),
                                   "autostart": autostarted(root, "/etc/libvirt/qemu", name),
                                   "bridges": bridges}
        snaps = os.path.join(root, "var/lib/libvirt/qemu/snapshot")
        for dom in sorted(os.listdir(snaps)) if os.path.isdir(snaps) else []:
            for path, x in xml_files(root, f"/var/lib/libvirt/qemu/snapshot/{dom}"):
                old["snapshot"][(dom, x.findtext("./name"))] = {
                    "path": path, "parent": x.findtext("./parent/name") or ""}
    for kind, objs in old.items():
        print(f"old host: {len(objs)} {kind}(s): {sorted(objs)}")
    return old


# --- the rescue --------------------------------------------------------------------


def plan_and_copy(c, binary, story, work, target):
    plan = os.path.join(work, "plan.json")
    p = t.run([binary, "plan", story, "--target", target, "-o", plan], timeout=600)
    if not cl.exit_code_is(c, "plan exit code", p, 0):
        return None
    p = t.run([binary, "copy", "--plan", plan], timeout=600)
    if not cl.exit_code_is(c, "copy exit code", p, 0):
        return None
    rep = cl.load(os.path.join(target, "kvm-rescue/report.json"))
    c.true("the report's next steps name the script on the data disk",
           any(SCRIPT in s for s in rep["next_steps"]), str(rep["next_steps"]))
    return plan


def check_script_on_disk(c, binary, plan, target):
    """The script the copy left: 0700, root's, and the kickstart's own text."""
    path = os.path.join(target, "kvm-rescue/kvm-rescue-restore")
    if not os.path.isfile(path):
        c.true("the copy wrote kvm-rescue/kvm-rescue-restore", False)
        return False
    st = os.stat(path)
    c.eq("the script's mode", stat.S_IMODE(st.st_mode), 0o700)
    c.eq("the script's owner", st.st_uid, 0)
    c.eq("bash -n on the script", t.run(["bash", "-n", path], timeout=60).returncode, 0)
    p = t.run([binary, "kickstart", "--plan", plan, "--os-disk", OS_DISK, "--data-disk",
               DATA_DISK], timeout=300)
    m = re.search(r"^cat > '/usr/local/sbin/kvm-rescue-restore' <<'(KVMR_EOF[_0-9]*)'\n(.*?)\n\1$",
                  p.stdout, re.S | re.M)
    # exit 1: written with a warning (the story's br0 keeps its port eth0)
    if p.returncode not in (0, 1) or m is None:
        c.true("the kickstart carries the restore script", False,
               f"exit {p.returncode}: {p.stderr[-1500:]}")
    else:
        c.true("the script on the disk is the kickstart's, byte for byte",
               open(path, encoding="utf-8").read() == m.group(2) + "\n")
    return True


def tree_hash(top):
    """SHA-256 over every file's path, mode and content under TOP."""
    h = hashlib.sha256()
    for d, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            h.update(f"{os.path.relpath(p, top)}:{oct(os.lstat(p).st_mode)};".encode())
            if os.path.isfile(p) and not os.path.islink(p):
                h.update(t.file_sha256(p).encode())
    return h.hexdigest()


# --- the private libvirt -----------------------------------------------------------


def names(lv, *args):
    p = lv.virsh(*args, check=True)
    return sorted(x.strip() for x in p.stdout.splitlines() if x.strip())


def secret_uuids(lv):
    return sorted(UUID_RE.findall(lv.virsh("secret-list", check=True).stdout))


def info(lv, verb, name):
    """`virsh VERB NAME` as {field: value}."""
    p = lv.virsh(verb, name)
    return dict((k.strip(), v.strip()) for k, v in
                (line.split(":", 1) for line in p.stdout.splitlines() if ":" in line))


def follow_where_advice(c, lv, target):
    """Run from where the target is mounted here, the script refuses; its
    printed mount command, run as printed, puts the disk where it must be.
    Falls back to binding it when the command is missing."""
    p = lv.run(["bash", os.path.join(target, "kvm-rescue/kvm-rescue-restore"), "--dry-run"])
    c.eq("run from elsewhere: exit code", p.returncode, 2)
    c.true("run from elsewhere: says nothing was changed", "nothing was changed" in p.stderr,
           p.stderr[-1500:] + p.stdout[-1500:])
    c.eq("run from elsewhere: no object listed", p.stdout.count("would run"), 0)
    lines = [x.strip() for x in p.stderr.splitlines() if x.strip().startswith("mount --bind ")]
    c.eq("run from elsewhere: the mount command printed", len(lines), 1)
    if len(lines) == 1:
        lv.run(["bash", "-c", lines[0]], check=True)
    else:
        lv.bind(target, IMAGES)
    c.true(f"the target is at {IMAGES} inside",
           os.path.isfile(lv.outside(f"{PAYLOAD}/../kvm-rescue-restore")))


def payload(old_path):
    return PAYLOAD + old_path


def check_dry_run(c, lv, old):
    p = lv.run(["bash", SCRIPT, "--dry-run"], timeout=300)
    c.eq("dry run: exit code", p.returncode, 0)
    out = p.stdout
    lines = out.splitlines()

    def listed(what, *words):
        c.true(f"dry run lists {what}", any(all(w in x for w in words) for x in lines),
               out[-3000:] if not c.failures else "")

    def not_listed(what, *words):
        c.true(f"dry run does not list {what}",
               not any(all(w in x for w in words) for x in lines))
    for name, n in old["network"].items():
        listed(f"network {name}", "net-define", payload(n["path"]))
        (listed if n["autostart"] else not_listed)(f"network {name}'s autostart",
                                                   f"net-autostart {name}")
    for name, n in old["pool"].items():
        listed(f"pool {name}", "pool-define", payload(n["path"]))
        (listed if n["autostart"] else not_listed)(f"pool {name}'s autostart",
                                                   f"pool-autostart {name}")
    for uuid, s in old["secret"].items():
        listed(f"secret {uuid}", "secret-define", payload(s["path"]))
        if s["value"] is not None:
            listed(f"secret {uuid}'s value", "secret-set-value", uuid)
        c.true(f"dry run does not show secret {uuid}'s value",
               s["value"] is None or s["value"] not in out)
    for name, d in old["domain"].items():
        listed(f"domain {name}", "define", payload(d["path"]))
        (listed if d["autostart"] else not_listed)(f"domain {name}'s autostart",
                                                   f"v autostart {name}")
    for (dom, name), s in old["snapshot"].items():
        listed(f"snapshot {dom}/{name}", "snapshot-create", dom, payload(s["path"]))
    # Nothing changed.
    c.eq("dry run: no network", names(lv, "net-list", "--all", "--name"), [])
    c.eq("dry run: no pool", names(lv, "pool-list", "--all", "--name"), [])
    c.eq("dry run: no secret", secret_uuids(lv), [])
    c.eq("dry run: no domain", names(lv, "list", "--all", "--name"), [])
    c.eq("dry run: nothing under /var/lib/kvm-rescue",
         os.listdir(lv.outside("/var/lib/kvm-rescue")), [])
    c.true("dry run: no log", not os.path.exists(lv.outside("/var/log/kvm-rescue-restore.log")))
    nvram = lv.outside("/var/lib/libvirt/qemu/nvram")
    c.eq("dry run: no UEFI variable store installed",
         os.listdir(nvram) if os.path.isdir(nvram) else [], [])


def restore(c, lv, what):
    p = lv.run(["bash", SCRIPT, "--allow-emulation"], timeout=600)
    log = lv.outside("/var/log/kvm-rescue-restore.log")
    text = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) else ""
    c.eq(f"{what}: exit code", p.returncode, 0)
    if p.returncode != 0:
        print(f"--- {what}: the end of the restore log\n{text[-4000:]}\n{p.stderr[-1000:]}")
    c.eq(f"{what}: no FAILED step", [x for x in text.splitlines() if "FAILED" in x], [])
    c.true(f"{what}: marked done", os.path.exists(lv.outside("/var/lib/kvm-rescue/restore.done")))
    return text


def check_networks(c, lv, old):
    c.eq("networks defined", names(lv, "net-list", "--all", "--name"), sorted(old["network"]))
    for name, n in old["network"].items():
        i = info(lv, "net-info", name)
        c.eq(f"network {name}: UUID", i.get("UUID"), n["uuid"])
        c.eq(f"network {name}: autostart", i.get("Autostart"), "yes" if n["autostart"] else "no")
        if n["autostart"]:
            c.eq(f"network {name}: active (autostarted on the old host)", i.get("Active"), "yes")


def check_pools(c, lv, old):
    c.eq("pools defined", names(lv, "pool-list", "--all", "--name"), sorted(old["pool"]))
    for name, n in old["pool"].items():
        i = info(lv, "pool-info", name)
        c.eq(f"pool {name}: UUID", i.get("UUID"), n["uuid"])
        c.eq(f"pool {name}: autostart", i.get("Autostart"), "yes" if n["autostart"] else "no")
        p = lv.virsh("pool-dumpxml", name)
        got = ET.fromstring(p.stdout).findtext("./target/path") if p.returncode == 0 else None
        c.eq(f"pool {name}: target", (got or "").rstrip("/"), (n["target"] or "").rstrip("/"))


def check_secrets(c, lv, old):
    c.eq("secrets defined", secret_uuids(lv), sorted(old["secret"]))
    for uuid, s in old["secret"].items():
        if s["value"] is None:
            continue
        kept = os.path.join(lv.etc, "secrets", f"{uuid}.base64")
        c.eq(f"secret {uuid}: value in /etc/libvirt/secrets",
             open(kept, encoding="ascii").read().strip() if os.path.exists(kept) else None,
             s["value"])
        if not s["private"]:
            c.eq(f"secret {uuid}: value read back",
                 lv.virsh("secret-get-value", uuid).stdout.strip(), s["value"])


def check_domains(c, lv, old, log):
    c.eq("domains defined", names(lv, "list", "--all", "--name"), sorted(old["domain"]))
    for name, d in old["domain"].items():
        i = info(lv, "dominfo", name)
        c.eq(f"domain {name}: UUID", i.get("UUID"), d["uuid"])
        c.eq(f"domain {name}: autostart", i.get("Autostart"),
             "enable" if d["autostart"] else "disable")
        p = lv.virsh("domblklist", name, "--details")
        files = [x.split()[3] for x in p.stdout.splitlines()
                 if x.split()[:2] == ["file", "disk"] and len(x.split()) >= 4]
        for f in files:
            c.true(f"domain {name}: its disk {f} is where its XML names it",
                   os.path.isfile(lv.outside(f)))
        # The payload's XML stays as the old host wrote it (the payload's
        # hash is compared after the runs); what was defined is an adapted
        # copy the log names, when this host needed a change.
        m = re.search(re.escape(payload(d["path"])) + r" -> (/\S+\.xml)$", log, re.M)
        c.true(f"domain {name}: the log names its adapted copy", m is not None, log[-3000:])
        if m:
            c.true(f"domain {name}: its adapted copy {m.group(1)} is kept",
                   os.path.isfile(lv.outside(m.group(1))))
    for (dom, name), s in old["snapshot"].items():
        c.true(f"snapshot {dom}/{name} defined",
               name in names(lv, "snapshot-list", dom, "--name"))
        p = lv.virsh("snapshot-parent", dom, name)
        c.eq(f"snapshot {dom}/{name}: parent", p.stdout.strip() if p.returncode == 0 else "",
             s["parent"])


def state(lv, old):
    """Everything the restore defines, as libvirt describes it."""
    out = {}
    for kind, dump, verb in (("network", "net-dumpxml", "net-info"),
                             ("pool", "pool-dumpxml", "pool-info"),
                             ("domain", "dumpxml", "dominfo")):
        for name in old[kind]:
            i = info(lv, verb, name)
            out[(kind, name)] = (lv.virsh(dump, name).stdout, i.get("Autostart"))
    for uuid in old["secret"]:
        out[("secret", uuid)] = lv.virsh("secret-dumpxml", uuid).stdout
    for dom, name in old["snapshot"]:
        out[("snapshot", dom, name)] = lv.virsh("snapshot-dumpxml", dom, name).stdout
    return out


def check_again(c, lv, old):
    """A second run (marked done) and a third (mark removed) change nothing."""
    before = state(lv, old)
    restore(c, lv, "second run")
    c.true("second run: nothing changed", state(lv, old) == before)
    done = lv.outside("/var/lib/kvm-rescue/restore.done")
    if os.path.exists(done):
        os.unlink(done)
    restore(c, lv, "third run (done mark removed)")
    after = state(lv, old)
    c.true("third run: nothing changed", after == before,
           str([k for k in before if before[k] != after.get(k)]))


def restore_on_libvirt(c, work, target, old):
    with lvd.Libvirtd(os.path.join(work, "libvirt")) as lv:
        for b in sorted(set().union(*(d["bridges"] for d in old["domain"].values()))):
            lv.bridge(b)
        lv.tmpfs("/var/lib/kvm-rescue")
        follow_where_advice(c, lv, target)
        check_dry_run(c, lv, old)
        log = restore(c, lv, "restore")
        check_networks(c, lv, old)
        check_pools(c, lv, old)
        check_secrets(c, lv, old)
        check_domains(c, lv, old, log)
        check_again(c, lv, old)


def main():
    t.require_root_and_loop()
    t.require_tools("bash", "xmllint")
    lvd.require()
    binary = t.env_path("KVMR_BIN")
    story = t.fixture("story.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="restore-libvirt.", dir=os.path.dirname(story))
    try:
        with t.SystemState(work) as sys_state:
            before = t.sha256(story)
            old = old_host(binary, story, work)
            target = os.path.join(work, "target")
            os.makedirs(target)
            t.run(["mount", "-t", "tmpfs", "-o", "size=4g", "kvmr-target", target], check_rc=0,
                  timeout=60)
            try:
                plan = plan_and_copy(c, binary, story, work, target)
                if plan is not None and check_script_on_disk(c, binary, plan, target):
                    payload_before = tree_hash(os.path.join(target, "kvm-rescue/payload"))
                    restore_on_libvirt(c, work, target, old)
                    c.eq("the payload is unchanged",
                         tree_hash(os.path.join(target, "kvm-rescue/payload")), payload_before)
            finally:
                t.run(["umount", target], check_rc=0, timeout=60)
            c.eq("the source image is unchanged", t.sha256(story), before)
            sys_state.check()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
