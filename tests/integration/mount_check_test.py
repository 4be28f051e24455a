#!/usr/bin/env python3
"""mount-ro --check: the no-modify check (xfs_repair -n, e2fsck -n) of every
mounted volume, reported as a verdict. A clean fixture is clean everywhere;
the dirty-root-log variant (a root XFS left as after a power cut) has its
root reported as dirty_log while the tree is still assembled from the state
before the log; the check changes no byte of the source and leaves nothing
attached.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402


def mount_ro(binary, args, tree):
    """Runs mount-ro ARGS... IMAGE TREE; the parsed JSON (or the text)."""
    p = t.run([binary, "mount-ro", *args, tree])
    if p.returncode != 0:
        raise AssertionError(f"mount-ro exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return json.loads(p.stdout) if "--json" in args else p.stdout


def umount(binary, tree):
    t.run([binary, "umount", tree], check_rc=0)


def volume(doc, name):
    return next((v for v in doc["volumes"] if v["name"] == name), None)


def verdicts(doc):
    """{volume name: verdict} of the volumes that were checked."""
    return {v["name"]: v["check"]["verdict"] for v in doc["volumes"] if v["check"]}


def check_every_mounted_volume_checked(c, name, doc):
    for v in doc["volumes"]:
        if v["mountpoint"]:
            c.true(f"{name}: {v['name']} (mounted) has a check", v["check"] is not None)
        else:
            c.eq(f"{name}: {v['name']} (not mounted) has no check", v["check"], None)


def main():
    t.require_root_and_loop()
    t.require_tools("xfs_repair", "e2fsck")
    binary = t.env_path("KVMR_BIN")
    fx = t.env_path("KVMR_FIXTURES")
    c = t.Checker()
    with tempfile.TemporaryDirectory(prefix="kvmr-check-", dir="/var/tmp") as tmp, \
            t.SystemState():
        tree = os.path.join(tmp, "tree")
        os.mkdir(tree)

        # Without --check nothing is checked.
        story = os.path.join(fx, "story.img")
        before = t.sha256(story)
        doc = mount_ro(binary, ["--json", story], tree)
        try:
            t.validate(doc, "mount-ro.schema.json")
            c.eq("no --check: no volume checked", verdicts(doc), {})
        finally:
            umount(binary, tree)

        # A clean host: root and /boot clean, by xfs_repair -n on the very
        # read-only loop devices they are mounted from.
        doc = mount_ro(binary, ["--check", "--json", story], tree)
        try:
            t.validate(doc, "mount-ro.schema.json")
            check_every_mounted_volume_checked(c, "story", doc)
            root = volume(doc, "centos/root")
            boot = volume(doc, "story.img p3")
            c.eq("story: root verdict", root and root["check"] and root["check"]["verdict"],
                 "clean")
            c.eq("story: /boot verdict", boot and boot["check"] and boot["check"]["verdict"],
                 "clean")
            if root and root["check"]:
                chk = root["check"]
                c.eq("story: root checked with xfs_repair -n",
                     chk["command"][:3], ["xfs_repair", "-n", "-f"])
                c.true("story: root checked on a loop device",
                       chk["device"].startswith("/dev/loop"), chk["device"])
                c.eq("story: root exit code", chk["exit_code"], 0)
        finally:
            umount(binary, tree)
        c.eq("story: source unchanged by the check", t.sha256(story), before)

        # Text output: each checked volume's verdict and summary under it.
        out = mount_ro(binary, ["--check", story], tree)
        try:
            c.true("story text: root verdict shown",
                   "check: clean: xfs_repair -n found no damage" in out, out)
        finally:
            umount(binary, tree)

        # ext4 root: e2fsck -n.
        ext4 = os.path.join(fx, "ext4.img")
        doc = mount_ro(binary, ["--check", "--json", ext4], tree)
        try:
            t.validate(doc, "mount-ro.schema.json")
            root = volume(doc, "ext4.img p4")
            c.eq("ext4: root checked by e2fsck -n",
                 root and root["check"] and root["check"]["command"][:3], ["e2fsck", "-n", "-f"])
            c.eq("ext4: root verdict", root and root["check"] and root["check"]["verdict"],
                 "clean")
        finally:
            umount(binary, tree)

        # A root XFS whose log holds changes never written back: dirty_log,
        # still exit 0, and the tree shows the state before the log.
        dirty = os.path.join(fx, "dirty-root-log.img")
        before = t.sha256(dirty)
        doc = mount_ro(binary, ["--check", "--json", dirty], tree)
        try:
            t.validate(doc, "mount-ro.schema.json")
            check_every_mounted_volume_checked(c, "dirty-root-log", doc)
            c.eq("dirty-root-log: root assembled", doc["root_volume"], "centos/root")
            root = volume(doc, "centos/root")
            chk = root and root["check"]
            c.eq("dirty-root-log: root verdict", chk and chk["verdict"], "dirty_log")
            c.true("dirty-root-log: xfs_repair's own words are in the findings",
                   chk and any("metadata changes in a log" in f for f in chk["findings"]),
                   chk and chk["findings"])
            boot = volume(doc, "dirty-root-log.img p3")
            c.eq("dirty-root-log: /boot verdict",
                 boot and boot["check"] and boot["check"]["verdict"], "clean")
            c.eq("dirty-root-log: files only the log knows are not in the tree",
                 [f for f in os.listdir(os.path.join(tree, "var/tmp"))
                  if f.startswith("kvmr-unwritten-")], [])
            c.true("dirty-root-log: the rest of the tree is there",
                   os.path.isfile(os.path.join(tree, "etc/libvirt/qemu/web01.xml")))
        finally:
            umount(binary, tree)
        c.eq("dirty-root-log: source unchanged by the check", t.sha256(dirty), before)

        out = mount_ro(binary, ["--check", dirty], tree)
        try:
            c.true("dirty-root-log text: verdict and the log's alert shown",
                   "check: dirty_log:" in out and "metadata changes in a log" in out, out)
        finally:
            umount(binary, tree)
        c.eq("tree empty at the end", os.listdir(tree), [])
    c.finish()


if __name__ == "__main__":
    main()
