#!/usr/bin/env python3
"""iso/fetch-plan (kvm-rescue.plan= on the kernel command line) on a real
labelled ext4 volume on a loop device: an answer file for another KVM host
that names its key file relative to itself brings that key along, beside the
answer file's copy, mode 0600; a key that is missing, or named with a path,
fails the fetch with the reason and leaves no answer file; an absolute key
path is left for the replay to find. The volume is mounted read-only by the
script and left unmounted; nothing stays attached.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import kvmr_testlib as t  # noqa: E402

LABEL = "KVMRFETCHT"
KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n"


def plan_text(identity):
    # As the wizard saves it (nlohmann's dump with an indent of 2).
    return json.dumps({"kind": "kvm-rescue.plan", "target": {"kind": "remote",
                       "identity": identity, "path": "ssh://root@h"}}, indent=2) + "\n"


def fetch(src, name, dest):
    return subprocess.run(["bash", os.path.join(src, "iso/fetch-plan"), f"LABEL={LABEL}:/{name}",
                           dest], capture_output=True, text=True, timeout=120)


def main():
    t.require_root_and_loop()
    t.require_tools("mkfs.ext4", "e2label", "blkid")
    src = t.env_path("KVMR_SOURCE_DIR")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="kvmr-fetch.")
    try:
        with t.SystemState(work) as state:
            with t.LoopFs(work, "stick", "ext4", 32 << 20) as stick:
                t.run(["e2label", stick.loop, LABEL], check_rc=0)
                files = {"plan.json": plan_text("id_ed25519"), "id_ed25519": KEY,
                         "nokey.json": plan_text("id_missing"),
                         "path.json": plan_text("../etc/shadow"),
                         "abs.json": plan_text("/root/.ssh/id_ed25519")}
                for name, body in files.items():
                    mode = "wb" if isinstance(body, bytes) else "w"
                    with open(os.path.join(stick.mnt, name), mode) as f:
                        f.write(body)
                stick.umount()
                out = os.path.join(work, "run")
                os.makedirs(out)
                dest = os.path.join(out, "kvm-rescue-plan.json")
                p = fetch(src, "plan.json", dest)
                c.eq("the answer file and its key: exit code", p.returncode, 0)
                c.true("it says the key came too", "key file id_ed25519" in p.stderr, p.stderr)
                key = os.path.join(out, "id_ed25519")
                c.true("the key is beside the answer file's copy",
                       os.path.isfile(key) and open(key, "rb").read() == KEY)
                c.eq("the key's mode", os.stat(key).st_mode & 0o777 if os.path.exists(key)
                     else None, 0o600)
                for name, why in (("nokey.json", "id_missing, which is not beside it"),
                                  ("path.json", "not a plain file name")):
                    d = os.path.join(out, name)
                    p = fetch(src, name, d)
                    c.eq(f"{name}: exit code", p.returncode, 1)
                    c.true(f"{name}: the reason is said", why in p.stderr, p.stderr)
                    c.true(f"{name}: no answer file is left", not os.path.exists(d))
                p = fetch(src, "abs.json", os.path.join(out, "abs.json"))
                c.eq("an absolute key path: the answer file alone, exit code", p.returncode, 0)
                c.eq("nothing else was written", sorted(os.listdir(out)),
                     ["abs.json", "id_ed25519", "kvm-rescue-plan.json"])
                mounts = open("/proc/mounts", encoding="utf-8").read()
                c.true("the script left the volume unmounted", stick.loop not in mounts)
            state.check()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
