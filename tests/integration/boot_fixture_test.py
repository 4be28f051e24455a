#!/usr/bin/env python3
"""The boot-vms fixture's disks boot, without libvirt (make-fixture
--boot-vms, scripts/lib/fixture-bootvms.sh).

The old host is read through kvm-rescue mount-ro; each boot VM's disk chain
and NVRAM are found from its own domain XML and copied out. Each disk then
runs directly in qemu-system-x86_64 under TCG, its first serial port going
to a file, until the VM's line "kvm-rescue-boot: NAME" shows there (at most
BOOT_SECONDS; qemu is then ended): bootbios01 under SeaBIOS, bootuefi01
under this machine's OVMF_CODE.secboot.fd (q35, SMM, secure pflash, S3 off,
as libvirt starts a domain that names it) with a copy of its carried
NVRAM, bootovl01 through its overlay and the base named by the overlay. The
base alone prints the base's line, so the overlay is what names bootovl01.
Fails when a line is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402
import kvmr_copylib as cl  # noqa: E402

VMS = ["bootbios01", "bootuefi01", "bootovl01"]
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.secboot.fd"
BOOT_SECONDS = 90


def line_of(name):
    return f"kvm-rescue-boot: {name}"


def copy_vm(tree, name, out):
    """Copies NAME's disk chain and NVRAM out of the old root TREE into
    OUT; returns (disk path, its format, NVRAM copy or None, firmware)."""
    dom = ET.parse(os.path.join(tree, "etc/libvirt/qemu", f"{name}.xml")).getroot()
    disk = dom.find("./devices/disk[@device='disk']")
    src = disk.find("./source").get("file")
    fmt = disk.find("./driver").get("type")
    dest = os.path.join(out, os.path.basename(src))
    shutil.copyfile(os.path.join(tree, src.lstrip("/")), dest)
    info = json.loads(t.run(["qemu-img", "info", "-U", "--output=json", dest],
                            check_rc=0).stdout)
    if "backing-filename" in info:
        base = info["backing-filename"]
        assert base.startswith("/"), f"{name}: backing file {base} is not absolute"
        shutil.copyfile(os.path.join(tree, base.lstrip("/")),
                        os.path.join(out, os.path.basename(base)))
        # The copy names its base beside it, as a restored host would by path.
        t.run(["qemu-img", "rebase", "-u", "-F", info["backing-filename-format"], "-b",
               os.path.basename(base), dest], check_rc=0)
    nvram = dom.find("./os/nvram")
    nv_copy = None
    if nvram is not None:
        nv_copy = os.path.join(out, os.path.basename(nvram.text.strip()))
        shutil.copyfile(os.path.join(tree, nvram.text.strip().lstrip("/")), nv_copy)
    loader = dom.find("./os/loader")
    return dest, fmt, nv_copy, (loader.text.strip() if loader is not None else None)


def qemu_argv(disk, fmt, nvram, log):
    argv = ["qemu-system-x86_64", "-accel", "tcg", "-nodefaults", "-no-user-config",
            "-display", "none", "-monitor", "none", "-m", "256",
            "-serial", f"file:{log}",
            "-drive", f"file={disk},format={fmt},if=virtio"]
    if nvram is None:
        return argv + ["-machine", "pc"]
    return argv + [
        "-machine", "q35,smm=on", "-global", "ICH9-LPC.disable_s3=1",
        "-global", "driver=cfi.pflash01,property=secure,value=on",
        "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
        "-drive", f"if=pflash,format=raw,unit=1,file={nvram}"]


def boot(argv, log, want):
    """Runs qemu until WANT is in LOG, qemu ends, or BOOT_SECONDS pass; qemu
    never outlives this. Returns (the serial output, seconds, qemu's stderr)."""
    open(log, "w").close()
    started = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while time.monotonic() - started < BOOT_SECONDS:
            if want in read(log) or p.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        err = p.stderr.read()
        p.stderr.close()
    return read(log), time.monotonic() - started, err


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def check_boot(c, what, argv, log, want):
    out, secs, err = boot(argv, log, want)
    print(f"{what}: {secs:.1f} s")
    c.true(f"{what}: prints '{want}' on its serial port", want in out,
           f"serial: {out[-600:]!r}\nqemu: {err[-600:]}")


def main():
    t.require_root_and_loop()
    t.require_tools("qemu-system-x86_64", "qemu-img")
    for f in (OVMF_CODE, "/usr/share/seabios/bios-256k.bin"):
        if not os.path.exists(f):
            t.skip(f"{f} is missing (scripts/setup installs ovmf and qemu-system-x86)")
    binary = t.env_path("KVMR_BIN")
    img = t.fixture("boot-vms.img")
    c = t.Checker()
    work = tempfile.mkdtemp(prefix="boot-fixture-test.", dir=os.path.dirname(img))
    try:
        with t.SystemState(work):
            vms = {}
            with cl.SourceTree(binary, img, os.path.join(work, "source")) as tree:
                for name in VMS:
                    out = os.path.join(work, name)
                    os.makedirs(out)
                    vms[name] = copy_vm(tree, name, out)
            for name, (disk, fmt, nvram, loader) in vms.items():
                c.eq(f"{name}: firmware named as CentOS 7 names it", loader,
                     OVMF_CODE if name == "bootuefi01" else None)
                log = os.path.join(work, f"{name}-serial0.log")
                check_boot(c, name, qemu_argv(disk, fmt, nvram, log), log, line_of(name))
            base = os.path.join(work, "bootovl01", "bootbase.qcow2")
            log = os.path.join(work, "bootbase-serial0.log")
            check_boot(c, "bootovl01's base alone", qemu_argv(base, "qcow2", None, log), log,
                       line_of("bootbase"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
