#!/usr/bin/env python3
"""kvm-rescue rescue reading the old host through the libguestfs
appliance instead of kernel mounts:

(k) story.img read through the libguestfs appliance (--backend guestfs):
    the same hashes and sparse copies as the kernel path
    (copy_variants_test.py, (a)).
Nothing may stay attached after any case (SystemState). The case letters
are those of the former copy_test.py; KVMR_COPY_CASES picks some.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402


def case_guestfs(c, binary, fixtures, work):
    """The whole copy read through the libguestfs appliance (--backend guestfs):
    the files come out of the appliance (TreeByteSource), not kernel mounts."""
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "guestfs-new.img")
    cl.new_image(target, 4 << 30)
    before = t.sha256(story)
    env = t.appliance_env(dict(os.environ, LIBGUESTFS_BACKEND="direct"))
    p = cl.rescue(binary, story, target, "--backend", "guestfs", env=env)
    if not cl.exit_code_is(c, "k: rescue --backend guestfs exit code", p):
        return
    c.true("k: read through the appliance", "Read via: guestfs" in p.stdout, p.stdout[-1500:])
    cl.check_copy(c, "k", binary, story, target, work)
    c.eq("k: the source is unchanged", t.sha256(story), before)


if __name__ == "__main__":
    cl.run_cases({"k": case_guestfs})
