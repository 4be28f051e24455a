#!/usr/bin/env python3
"""kvm-rescue plan on the dead-host fixtures with a tmpfs mount as target.

Checks that the plan (JSON) validates against docs/schemas/plan.schema.json,
takes every chain member once (centos7-base.qcow2 once), app01's NVRAM,
the secrets with secret=true, and db01's LV as lv/centos-db01.img with a
block-to-file rewrite on the block-vm variant; that -o writes the same plan
with mode 0600 and no .partial left; that an unknown VM and a target too
small are refused with exit 2 and a message; that the source image is not
changed and nothing stays attached or mounted.
"""
import json
import os
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

IMAGES = "/var/lib/libvirt/images"


class Tmpfs:
    """A tmpfs of SIZE mounted on a fresh directory under the build tree."""

    def __init__(self, parent, size):
        self.dir = tempfile.mkdtemp(prefix="plan-target-", dir=parent)
        self.size = size

    def __enter__(self):
        t.run(["mount", "-t", "tmpfs", "-o", f"size={self.size},mode=0755", "tmpfs", self.dir],
              check_rc=0)
        return self.dir

    def __exit__(self, *exc):
        t.run(["umount", self.dir], check_rc=0)
        os.rmdir(self.dir)
        return False


def plan(binary, img, target, *extra, rc=0):
    return t.run([binary, "plan", img, "--target", target, *extra], check_rc=rc)


def items_by_source(doc):
    out = {}
    for i in doc["items"]:
        out.setdefault(i["source"], []).append(i)
    return out


def check_story(c, binary, img, target, workdir):
    out = os.path.join(workdir, "plan.json")
    # Every VM ready, the target big enough: a complete plan, exit 0 (plan() checks it).
    p = plan(binary, img, target, "--json", "-o", out)
    doc = json.loads(p.stdout)
    try:
        t.validate(doc, "plan.schema.json")
        c.true("story: plan validates against the schema", True)
    except Exception as e:  # noqa: BLE001 - any validation error is a failure
        c.true("story: plan validates against the schema", False, str(e)[:2000])
    c.eq("story: kind", doc["kind"], "kvm-rescue.plan")
    c.eq("story: VMs", doc["vms"], ["app01", "mail01", "web01"])
    by = items_by_source(doc)
    c.eq("story: centos7-base.qcow2 once", len(by.get(f"{IMAGES}/centos7-base.qcow2", [])), 1)
    c.eq("story: mail01.qcow2 once", len(by.get(f"{IMAGES}/mail01.qcow2", [])), 1)
    c.eq("story: web01.img dest", [i["dest"] for i in by.get(f"{IMAGES}/web01.img", [])],
         ["web01.img"])
    nvram = by.get("/var/lib/libvirt/qemu/nvram/app01_VARS.fd", [])
    c.eq("story: app01 NVRAM", [(i["kind"], i["vm"]) for i in nvram], [("nvram", "app01")])
    c.true("story: NVRAM size from the tree", nvram and nvram[0]["size"] > 0, nvram)
    values = [i for i in doc["items"] if i["kind"] == "secret_value"]
    c.eq("story: one secret value, secret=true", [i["secret"] for i in values], [True])
    c.true("story: secret value path", values and values[0]["source"].endswith(".base64"), values)
    c.true("story: the secret value is not in the plan",
           "AQDLdUBgAAAAABAAS1ZNUmZpeHR1cmUtY2VwaC1rZXk=" not in p.stdout)
    kinds = {i["kind"] for i in doc["items"]}
    for k in ("domain_xml", "network_xml", "pool_xml", "secret_xml", "host_file"):
        c.true(f"story: has {k}", k in kinds, sorted(kinds))
    c.true("story: /etc/hostname taken", "/etc/hostname" in by, sorted(by)[:20])
    c.eq("story: no rewrites (everything under images_dir)", doc["rewrites"], [])
    c.eq("story: target", (doc["target"]["kind"], doc["target"]["path"]), ("directory", target))
    alloc = sum(i["allocated"] for i in doc["items"])
    c.true("story: bytes_needed covers the items plus the margin",
           doc["bytes_needed"] >= alloc + 64 * (1 << 20), (doc["bytes_needed"], alloc))
    st = os.stat(out)
    c.eq("story: -o mode 0600", stat.S_IMODE(st.st_mode), 0o600)
    c.true("story: no .partial left", not os.path.exists(out + ".partial"))
    with open(out, encoding="utf-8") as f:
        saved = json.load(f)
    # The file keeps the old host's root hash (make-fixture's shadow); the
    # printed plan shows "(not shown)" there and is otherwise the same.
    logins = saved["kickstart"]["old_logins"]
    c.true("story: -o keeps the old root hash", logins["root_hash"].startswith("$6$"),
           logins["root_hash"][:8])
    c.true("story: the printed plan holds no hash", "$6$" not in json.dumps(doc))
    logins["root_hash"] = "(not shown)"
    c.eq("story: -o holds the printed plan, the secrets hidden there", saved, doc)

    text = plan(binary, img, target)
    c.eq("story text: same exit code", text.returncode, p.returncode)
    c.true("story text: names the VMs", all(f"VM {v}" in text.stdout for v in doc["vms"]),
           text.stdout)
    c.true("story text: fits 80 columns",
           all(t.columns(line) <= 80 for line in text.stdout.splitlines()), text.stdout)
    c.true("story text: secret value not shown",
           "AQDLdUBgAAAAABAAS1ZNUmZpeHR1cmUtY2VwaC1rZXk=" not in text.stdout)

    p = plan(binary, img, target, "--vm", "web01", "--vm", "nosuch", rc=2)
    c.true("--vm nosuch: exit 2 naming it and the VMs",
           '"nosuch"' in p.stderr and "web01" in p.stderr and "mail01" in p.stderr, p.stderr)
    c.eq("--vm nosuch: nothing on stdout", p.stdout, "")

    p = plan(binary, img, target, "--vm", "web01", "--json")
    doc = json.loads(p.stdout)
    c.eq("--vm web01: only web01", doc["vms"], ["web01"])
    c.true("--vm web01: no mail01 image",
           f"{IMAGES}/mail01.qcow2" not in items_by_source(doc))


def check_block_vm(c, binary, img, target):
    p = plan(binary, img, target, "--json")  # complete: exit 0 (plan() checks it)
    doc = json.loads(p.stdout)
    t.validate(doc, "plan.schema.json")
    lv = [i for i in doc["items"] if i["kind"] == "lv_image"]
    c.eq("block-vm: db01's LV as a raw file",
         [(i["source"], i["dest"], i["format"], i["vm"]) for i in lv],
         [("centos/db01", "lv/centos-db01.img", "raw", "db01")])
    c.eq("block-vm: LV size", [i["size"] for i in lv], [48 << 20])
    rw = [r for r in doc["rewrites"] if r["vm"] == "db01"]
    c.eq("block-vm: db01 rewrite",
         [(r["file"], r["from"], r["to"], r["block_to_file"], r["new_format"]) for r in rw],
         [("/etc/libvirt/qemu/db01.xml", "/dev/centos/db01", f"{IMAGES}/lv/centos-db01.img",
           True, "raw")])
    xml = [i for i in doc["items"] if i["source"] == "/etc/libvirt/qemu/db01.xml"]
    c.eq("block-vm: db01.xml marked rewritten", [i["rewritten"] for i in xml], [True])


def main():
    t.require_root_and_loop()
    t.require_tools("mount", "umount")
    fixtures = t.env_path("KVMR_FIXTURES")
    binary = t.env_path("KVMR_BIN")
    build = os.path.dirname(fixtures)
    story = os.path.join(fixtures, "story.img")
    block = os.path.join(fixtures, "block-vm.img")
    before = {p: t.file_sha256(p) for p in (story, block)}
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="plan-test-", dir=build)
    with t.SystemState(work):
        with Tmpfs(build, "1G") as target:
            check_story(c, binary, story, target, work)
            check_block_vm(c, binary, block, target)
            c.eq("the target got nothing", os.listdir(target), [])
        with Tmpfs(build, "16M") as small:
            p = plan(binary, story, small, "-o", os.path.join(work, "small.json"), rc=2)
            c.true("too small: exit 2 with the message",
                   "too small" in p.stderr and small in p.stderr and "free" in p.stderr, p.stderr)
            c.true("too small: no plan written",
                   not os.path.exists(os.path.join(work, "small.json")))
        notmount = tempfile.mkdtemp(prefix="plan-notmount-", dir=work)
        p = plan(binary, story, notmount, rc=2)
        c.true("not a mount point: refused", notmount in p.stderr, p.stderr)
    for path, h in before.items():
        c.eq(f"{os.path.basename(path)} unchanged", t.file_sha256(path), h)
    for root, dirs, files in os.walk(work, topdown=False):
        for f in files:
            os.unlink(os.path.join(root, f))
        for d in dirs:
            os.rmdir(os.path.join(root, d))
    os.rmdir(work)
    c.finish()


if __name__ == "__main__":
    main()
