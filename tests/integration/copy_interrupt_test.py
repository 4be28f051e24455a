#!/usr/bin/env python3
"""kvm-rescue rescue interrupted mid-copy, and the rerun that resumes it:

(g) Ctrl-C half-way (--max-rate slows the read): exit 130, nothing left
    attached, a rerun completes and says it resumed.
(l) SIGKILL mid-copy: loop devices are left (nothing can run), the next
    run releases them and continues the copy to the same hashes.
Nothing may stay attached after any case (SystemState). The case letters
are those of the former copy_test.py; KVMR_COPY_CASES picks some.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402


def case_cancel(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "cancel.img")
    cl.new_image(target, 4 << 30)
    argv = [binary, "rescue", story, "--target", target, "--confirm-wipe", target,
            "--max-rate", "2M"]
    rc, seen = cl.signal_mid_copy(argv, signal.SIGINT)
    c.eq("g: exit code after SIGINT", rc, 130)
    if rc != 130:
        print(seen)
    p = cl.rescue(binary, story, target)
    if not cl.exit_code_is(c, "g: rerun exit code", p):
        return

    def extra(tgt, man, rep, tree):
        c.true("g: report says it continued",
               cl.continued(rep), str(rep["warnings"]))
        c.true("g: something resumed or kept",
               rep["totals"]["resumed"] + rep["totals"]["reused"] > 0, str(rep["totals"]))
    cl.check_copy(c, "g", binary, story, target, work, extra)


def case_sigkill(c, binary, fixtures, work):
    """SIGKILL mid-copy: nothing can run then, so loop devices and the mount
    stay; the next run releases them (the registry) and resumes the copy."""
    story = os.path.join(fixtures, "story.img")
    target = os.path.join(work, "killed.img")
    cl.new_image(target, 4 << 30)
    argv = [binary, "rescue", story, "--target", target, "--confirm-wipe", target,
            "--max-rate", "1M"]
    rc, _ = cl.signal_mid_copy(argv, signal.SIGKILL)
    c.eq("l: killed", rc, -signal.SIGKILL)
    left = [k for k, v in t.loop_devices().items() if os.path.realpath(v) in
            (os.path.realpath(story), os.path.realpath(target))]
    c.true("l: the kill left loop devices (nothing could release them)", left, str(left))
    p = cl.rescue(binary, story, target)
    if not cl.exit_code_is(c, "l: the next run exit code", p):
        return

    def extra(tgt, man, rep, tree):
        c.true("l: the next run continued the killed one",
               cl.continued(rep), str(rep["warnings"]))
    cl.check_copy(c, "l", binary, story, target, work, extra)


if __name__ == "__main__":
    cl.run_cases({"g": case_cancel, "l": case_sigkill})
