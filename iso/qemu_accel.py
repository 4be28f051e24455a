"""Which qemu accelerator boots a guest on this machine: "kvm" or "tcg".

A /dev/kvm that opens is not proof that KVM runs a guest: inside some
virtual machines the node is there, qemu starts, and the guest never runs
an instruction (seen on the build machine: a kernel under accel=kvm printed
nothing in 40 s). So KVM is used only when the host's own kernel, booted
under it, prints its banner on the serial console within a few seconds;
otherwise TCG (slower, the same checks). Shared by iso/boot-test and the
e2e tests.
"""

import glob
import os
import subprocess

_PROBE_SECONDS = 15
_decided = None


def _probe_kernel():
    kernels = sorted(glob.glob("/boot/vmlinuz-*"))
    return kernels[-1] if kernels else None


def kvm_boots_a_guest():
    """True when a guest kernel under accel=kvm prints "Linux version" in time."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    kernel = _probe_kernel()
    if kernel is None:
        return True  # nothing to probe with: trust the node, as before
    argv = ["qemu-system-x86_64", "-machine", "q35,accel=kvm", "-m", "256",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-kernel", kernel, "-append", "console=ttyS0 panic=-1"]
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=_PROBE_SECONDS, check=False).stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout or b""
    return b"Linux version" in out


def qemu_accel():
    """ "kvm" when it boots a guest here, "tcg" otherwise; probed once per process."""
    global _decided  # pylint: disable=global-statement
    if _decided is None:
        _decided = "kvm" if kvm_boots_a_guest() else "tcg"
    return _decided
