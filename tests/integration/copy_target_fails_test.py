#!/usr/bin/env python3
"""kvm-rescue rescue when the target gives out mid-copy:

(n) the target gives out mid-copy (its XFS shut down with xfs_io, as the
    kernel does when a disk vanishes or fails): exit 3 naming the target
    and saying to rerun, no further item tried, nothing left attached, no
    file under its final name that differs from the source; a prepared
    target: the rerun completes to the source's hashes; a directory target:
    the same after it is mounted again.
Nothing may stay attached after any case (SystemState). The case letters
are those of the former copy_test.py; KVMR_COPY_CASES picks some.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402


def shutdown_mid_copy(argv, mount_of, nth=1):
    """Runs ARGV (a rescue), shuts down the target's XFS (MOUNT_OF(pid)
    gives its path) once the NTH image is being copied; returns (rc,
    output, that image's dest)."""
    shut = []

    def shutdown(proc):
        try:
            where = mount_of(proc.pid)
        except AssertionError as e:
            shut.append(str(e))
            return False
        p = t.run(["xfs_io", "-x", "-c", "shutdown", where])
        shut.append(p.returncode == 0 or p.stderr)
        return True

    rc, seen, dest = cl.mid_copy(argv, shutdown, nth)
    assert shut == [True], f"could not shut the target down: {shut} {seen[-2000:]}"
    return rc, seen, dest


def tool_mount_of(image):
    """The kvm-rescue process's mount of the data partition of IMAGE (a
    loop device over it), as a path this process can open."""
    def find(pid):
        loops = {"/dev/" + k for k, v in t.loop_devices().items()
                 if os.path.realpath(v) == os.path.realpath(image)}
        with open(f"/proc/{pid}/mountinfo", encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                sep = fields.index("-")
                if fields[sep + 1] == "xfs" and os.path.realpath(fields[sep + 2]) in loops:
                    return f"/proc/{pid}/root" + fields[4]
        raise AssertionError(f"no xfs mount of {image} in process {pid}")
    return find


def final_files_match(c, name, binary, source, root, work):
    """Every plan item under ROOT with its final name (the plan the run
    left in ROOT/kvm-rescue) has the source's bytes; returns how many."""
    plan = cl.load(os.path.join(root, "kvm-rescue/plan.json"))
    checked = 0
    with cl.SourceTree(binary, source, os.path.join(work, f"{name}-source")) as tree:
        for it in plan["items"]:
            dest = os.path.join(root, it["dest"])
            if it["kind"] not in ("image", "nvram") or it.get("new_backing_name") \
                    or not os.path.isfile(dest):
                continue
            checked += 1
            c.eq(f"{name}: {it['dest']} under its final name is the source's",
                 t.file_sha256(dest), t.file_sha256(os.path.join(tree, it["source"].lstrip("/"))))
    return checked


def case_target_fails(c, binary, fixtures, work):
    story = os.path.join(fixtures, "story.img")
    before = t.sha256(story)

    # A prepared target (an image the tool partitions and mounts itself).
    target = os.path.join(work, "failing.img")
    cl.new_image(target, 4 << 30)
    argv = [binary, "rescue", story, "--target", target, "--confirm-wipe", target,
            "--max-rate", "1M"]
    rc, seen, _ = shutdown_mid_copy(argv, tool_mount_of(target))
    c.eq("n: exit code when the target fails", rc, 3)
    c.true("n: says the target stopped taking writes and to rerun",
           "stopped taking writes" in seen and "rerun" in seen, seen[-2000:])
    c.true("n: the report on the terminal says STOPPED", "Result: STOPPED, the target failed"
           in seen, seen[-2000:])
    line = next((x for x in seen.splitlines() if "; stopping: " in x), "")
    c.true("n: the stop names the target image, not the run's private mount point",
           f"{target}'s data partition" in line and "/run/kvm-rescue" not in line, line)
    stop = seen.find("; stopping: ")
    c.true("n: no item tried after the stop", stop > 0 and " -> " not in seen[stop:],
           seen[-2000:])
    t.run(["udevadm", "settle"])
    p = cl.rescue(binary, story, target)
    c.eq("n: the rerun exit code", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
    else:
        def extra(tgt, man, rep, tree):
            c.true("n: the rerun continued the stopped one",
                   cl.continued(rep), str(rep["warnings"]))
            c.eq("n: the report has no target failure", rep["target_failure"], "")
        cl.check_copy(c, "n", binary, story, target, work, extra)

    # A directory target (a filesystem the user mounted).
    with t.LoopFs(work, "failing-dir") as d:
        mnt = d.mnt
        # The second image: the first is complete (and synced) by then.
        rc, seen, dest = shutdown_mid_copy([binary, "rescue", story, "--target", mnt,
                                            "--max-rate", "1M"], lambda pid: mnt, nth=2)
        c.eq("n: directory target: exit code", rc, 3)
        c.true("n: directory target: the error names the directory", mnt in seen, seen[-2000:])
        d.umount()
        d.mount()
        n = final_files_match(c, "n-dir", binary, story, mnt, work)
        c.true("n: directory target: an image was complete before the failure", n > 0, str(n))
        c.true(f"n: directory target: {dest}, copied when the target failed, does not "
               "carry its final name", not os.path.exists(os.path.join(mnt, dest)))
    c.eq("n: the source is unchanged", t.sha256(story), before)


if __name__ == "__main__":
    cl.run_cases({"n": case_target_fails}, tools=("xfs_io",))
