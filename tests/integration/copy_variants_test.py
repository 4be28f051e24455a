#!/usr/bin/env python3
"""kvm-rescue rescue of each fixture variant onto a fresh 4 GiB image
target, checked file by file against the source tree (check_copy):

(a) story.img onto a new 4 GiB image: exit 0; every image file on the new
    data partition has the source file's SHA-256, NVRAM and payload are
    there, payload domain XML validates, manifest and report validate
    against their schemas, secrets are 0600, copies stay sparse, no
    kickstart yet, the source image unchanged.
(e) block-vm.img: db01's LV becomes lv/centos-db01.img with the LV's bytes
    and its domain XML says type='file' and validates.
(f) hostile names survive (file names, XML).
(j) broken-vms.img: the VMs that cannot be taken whole are skipped with
    their reasons in the report, the others copied.
Nothing may stay attached after any case (SystemState). The case letters
are those of the former copy_test.py; KVMR_COPY_CASES picks some.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402

MiB = 1 << 20


def case_story(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "new.img")
    cl.new_image(target, 4 << 30)
    before = t.sha256(story)
    p = cl.rescue(binary, story, target)
    if not cl.exit_code_is(c, "a: rescue exit code", p):
        return
    c.true("a: summary printed", "Virtual machines:" in p.stdout, p.stdout[-2000:])

    def extra(tgt, man, rep, tree):
        kinds = {i["kind"] for i in man["items"]}
        for k in ("image", "nvram", "domain_xml"):
            c.true(f"a: items of kind {k}", k in kinds, str(sorted(kinds)))
        c.true("a: every VM copied",
               all(v["status"] in ("copied", "skipped") for v in rep["vms"]), str(rep["vms"]))
        c.eq("a: report exit code", rep["exit_code"], 0)
        # The copy's private mount point is gone after the run: the plan
        # the report sends the user to must not be under it.
        c.true("a: the report names a plan that outlives the run",
               "/run/kvm-rescue" not in rep["plan"] and
               all("/run/kvm-rescue" not in s for s in rep["next_steps"]), rep["next_steps"])
    _, _, parts = cl.check_copy(c, "a", binary, story, target, work, extra)
    oem = [q for q in parts if q["filesystem"]["label"] == "OEMDRV"]
    c.eq("a: one OEMDRV partition", len(oem), 1)
    if oem:
        p = t.run(["mdir", "-b", "-i", f"{target}@@{oem[0]['start']}", "::/"])
        c.true("a: no kickstart yet", "ks.cfg" not in p.stdout.lower(), p.stdout)
    c.eq("a: source unchanged", t.sha256(story), before)
    # A rerun continues a prepared target only when nothing refuses it:
    # with another loop device over it (in use), it is not mounted at all.
    loop = t.run(["losetup", "-r", "-f", "--show", target], check_rc=0).stdout.strip()
    try:
        held = t.sha256(target)
        p = cl.rescue(binary, story, target)
        c.eq("a: rerun on a target in use: refused", p.returncode, 2)
        c.true("a: rerun on a target in use: says so", "in use" in p.stderr, p.stderr[-1500:])
        c.eq("a: rerun on a target in use: untouched", t.sha256(target), held)
    finally:
        t.run(["losetup", "-d", loop], check_rc=0)


def case_block_vm(c, binary, fixtures, work):
    src = os.path.join(fixtures, "block-vm.img")
    target = os.path.join(work, "block.img")
    cl.new_image(target, 4 << 30)
    p = cl.rescue(binary, src, target, "--hash", "sha256")
    if not cl.exit_code_is(c, "e: rescue exit code", p):
        return

    def extra(tgt, man, rep, tree):
        lv = [i for i in man["items"] if i["kind"] == "lv_image"]
        c.eq("e: one LV item", [i["dest"] for i in lv], ["lv/centos-db01.img"])
        f = os.path.join(tgt, "lv/centos-db01.img")
        want = t.pattern_sha256(48 * MiB, [(0xdb, 0, MiB), (0xd1, 23 * MiB, 2 * MiB),
                                         (0xd2, 47 * MiB, MiB)])
        if os.path.isfile(f):
            c.eq("e: db01 LV bytes", t.file_sha256(f), want)
            c.eq("e: manifest hash is the LV's sha256", lv[0]["hash"], want)
        xml = [i for i in man["items"] if i["kind"] == "domain_xml" and i["vm"] == "db01"]
        c.eq("e: db01 XML item", len(xml), 1)
        if xml:
            with open(os.path.join(tgt, xml[0]["dest"]), encoding="utf-8") as x:
                text = x.read()
            c.true("e: disk is type='file'", "type='file'" in text or 'type="file"' in text,
                   text)
            c.true("e: points at the LV copy",
                   "/var/lib/libvirt/images/lv/centos-db01.img" in text, text)
            c.true("e: original kept", bool(xml[0]["original_dest"]))
    cl.check_copy(c, "e", binary, src, target, work, extra)


def case_hostile(c, binary, fixtures, work):
    src = os.path.join(fixtures, "hostile.img")
    target = os.path.join(work, "hostile-new.img")
    cl.new_image(target, 4 << 30)
    p = cl.rescue(binary, src, target)
    if not cl.exit_code_is(c, "f: rescue exit code", p):
        return

    def extra(tgt, man, rep, tree):
        odd = [i for i in man["items"] if "ウェブ" in i["dest"]]
        c.true("f: hostile files copied", len(odd) >= 2, str([i["dest"] for i in man["items"]]))
        c.true("f: /tmp/pwned not created", not os.path.exists("/tmp/pwned"))
    cl.check_copy(c, "f", binary, src, target, work, extra)


def case_broken(c, binary, fixtures, work):
    src = os.path.join(fixtures, "broken-vms.img")
    target = os.path.join(work, "broken-new.img")
    cl.new_image(target, 4 << 30)
    p = cl.rescue(binary, src, target)
    if not cl.exit_code_is(c, "j: rescue exit code", p):
        return

    def extra(tgt, man, rep, tree):
        status = {v["name"]: v for v in rep["vms"]}
        for name in ("ghost01", "trunc01", "loop01"):
            v = status.get(name)
            c.true(f"j: {name} skipped with a reason",
                   v is not None and v["status"] == "skipped" and v["reasons"], str(v))
            c.true(f"j: nothing of {name} copied",
                   not any(i["vm"] == name for i in man["items"]))
        c.true("j: the ready VMs copied",
               any(v["status"] == "copied" for v in rep["vms"]), str(rep["vms"]))
        with open(os.path.join(tgt, "kvm-rescue/report.txt"), encoding="utf-8") as f:
            text = f.read()
        c.true("j: report.txt names the skipped VMs", "ghost01" in text and "skipped" in text)
    cl.check_copy(c, "j", binary, src, target, work, extra)


if __name__ == "__main__":
    cl.run_cases({"a": case_story, "e": case_block_vm, "f": case_hostile, "j": case_broken},
                 tools=("mdir",))
