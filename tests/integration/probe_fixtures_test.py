#!/usr/bin/env python3
"""kvm-rescue probe --json on every dead-host fixture variant.

Compares partition starts, sizes, types, filesystem UUIDs, checksum
verdicts and boot verdicts against what scripts/make-fixture put there
(the fixed ids of scripts/fixture-ids.env and its documented layout), and
proves the probe wrote nothing: each image hashes the same before and
after, and no loop device or mount is left.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import kvmr_testlib as t  # noqa: E402

MiB = 1 << 20
BIOS_BOOT = "21686148-6449-6e6f-744e-656564454649"
ESP = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
LINUX = "0fc63daf-8483-4772-8e79-3d69d8477de4"
LVM = "e6d6d379-f507-44c2-a23c-238f2a3df928"
SWAP = "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"


def expected_layout(ids, table="gpt", root="lvm", images_vg=False):
    """(type_code, start, size, fs type, fs uuid, part uuid) per partition."""
    esp_uuid = ids["ESP_VOLID"][:4] + "-" + ids["ESP_VOLID"][4:]
    parts = []
    if table == "gpt":
        parts += [(BIOS_BOOT, 1 * MiB, 1 * MiB, "", "", ids["PART_UUID_BIOSBOOT"]),
                  (ESP, 2 * MiB, 200 * MiB, "vfat", esp_uuid, ids["PART_UUID_ESP"]),
                  (LINUX, 202 * MiB, 500 * MiB, "xfs", ids["BOOT_FS_UUID"], ids["PART_UUID_BOOT"])]
        types = {"lvm": LVM, "linux": LINUX, "swap": SWAP}
        uuids = {"pv": ids["PART_UUID_PV"], "root": ids["PART_UUID_ROOT"],
                 "swap": ids["PART_UUID_SWAP"], "pv2": ids["PART_UUID_PV2"]}
        pos = 702 * MiB
    else:
        parts += [("0x83", 1 * MiB, 500 * MiB, "xfs", ids["BOOT_FS_UUID"], "")]
        types = {"lvm": "0x8e", "linux": "0x83", "swap": "0x82"}
        uuids = {"pv": "", "root": "", "swap": "", "pv2": ""}
        pos = 501 * MiB
    if root == "lvm":
        parts.append((types["lvm"], pos, 1200 * MiB, "LVM2_member", ids["PV_UUID"], uuids["pv"]))
        pos += 1200 * MiB
    else:
        parts.append((types["linux"], pos, 1200 * MiB, "ext4", ids["ROOT_FS_UUID"], uuids["root"]))
        pos += 1200 * MiB
        parts.append((types["swap"], pos, 64 * MiB, "swap", ids["SWAP_UUID"], uuids["swap"]))
        pos += 64 * MiB
    if images_vg:
        parts.append((types["lvm"], pos, 640 * MiB, "LVM2_member", ids["PV2_UUID"], uuids["pv2"]))
    return parts


VARIANTS = {
    "story": dict(),
    "intact": dict(),
    "no-initramfs": dict(),
    "corrupt-boot-sb": dict(),
    "dos": dict(table="dos"),
    "ext4": dict(root="ext4"),
    "images-vg": dict(images_vg=True),
    "block-vm": dict(),
    "multiseg": dict(),
    "guest-fs": dict(),
    "hostile": dict(),
    "dirty-root-log": dict(),
    "broken-vms": dict(),
}


def check_layout(c, name, disk, ids, layout):
    table = disk["partition_table"]
    want_table = layout.get("table", "gpt")
    c.eq(f"{name}: table type", table["type"], want_table)
    c.eq(f"{name}: table id", table["id"],
         ids["DISK_GUID"] if want_table == "gpt" else ids["DOS_DISK_ID"])
    want = expected_layout(ids, **layout)
    parts = table["partitions"]
    c.eq(f"{name}: partition count", len(parts), len(want))
    for i, (p, w) in enumerate(zip(parts, want), start=1):
        code, start, size, fstype, fsuuid, partuuid = w
        c.eq(f"{name}: p{i} number", p["number"], i)
        c.eq(f"{name}: p{i} type", p["type_code"], code)
        c.eq(f"{name}: p{i} start", p["start"], start)
        c.eq(f"{name}: p{i} size", p["size"], size)
        c.eq(f"{name}: p{i} fs type", p["filesystem"]["type"], fstype)
        c.eq(f"{name}: p{i} fs uuid", p["filesystem"]["uuid"], fsuuid)
        c.eq(f"{name}: p{i} partuuid", p["uuid"], partuuid)
        if fstype in ("xfs", "ext4", "LVM2_member") and name != "corrupt-boot-sb":
            # CentOS 7 made ext4 without metadata_csum: no checksum to check.
            c.eq(f"{name}: p{i} checksum", p["filesystem"]["checksum"],
                 "none" if fstype == "ext4" else "ok")
            c.eq(f"{name}: p{i} state", p["state"], "intact")
    if want_table == "dos":
        c.eq(f"{name}: /boot is the active partition", parts[0]["bootable"], True)


def evidence(path, prefix):
    return next((e for e in path["evidence"] if e["item"].startswith(prefix)), None)


KVER = "3.10.0-1160.el7.x86_64"


def check_boot_files(c, name, bios, uefi, layout):
    """The files grub.cfg names, read from /boot mounted read-only."""
    paths = [("BIOS", bios, "grub2/grub.cfg on /boot")]
    if layout.get("table", "gpt") == "gpt":
        paths.append(("UEFI", uefi, "EFI/centos/grub.cfg on the ESP"))
    for mode, path, cfg in paths:
        ev = next((e for e in path["evidence"] if e["item"] == "/boot files"), None)
        c.true(f"{name}: {mode} /boot files evidence present", ev is not None)
        if ev is None:
            continue
        if name == "corrupt-boot-sb":
            c.eq(f"{name}: {mode} /boot files", ev["state"], "damaged")
            c.true(f"{name}: {mode} says /boot does not mount", "does not mount" in ev["detail"],
                   ev["detail"])
        elif name == "no-initramfs":
            c.eq(f"{name}: {mode} /boot files", ev["state"], "missing")
            c.true(f"{name}: {mode} names the missing initramfs",
                   f"initramfs /initramfs-{KVER}.img is missing" in ev["detail"], ev["detail"])
            c.true(f"{name}: {mode} summary says why",
                   f"/initramfs-{KVER}.img is missing" in path["summary"], path["summary"])
        else:
            c.eq(f"{name}: {mode} /boot files", ev["state"], "ok")
            c.true(f"{name}: {mode} read {cfg}", ev["detail"].startswith(cfg)
                   and f"vmlinuz-{KVER}" in ev["detail"], ev["detail"])


def check_boot(c, name, disk, layout):
    bios, uefi = disk["boot"]["bios"], disk["boot"]["uefi"]
    mbr = evidence(bios, "MBR boot code")
    core = evidence(bios, "BIOS boot partition" if layout.get("table", "gpt") == "gpt"
                    else "gap after the MBR")
    c.true(f"{name}: MBR and core evidence present", mbr is not None and core is not None)
    if mbr is None or core is None:
        return
    intact_area = name in ("intact", "no-initramfs")
    if intact_area:
        c.eq(f"{name}: MBR boot code", mbr["state"], "ok")
        c.true(f"{name}: MBR is GRUB", "GRUB 2" in mbr["detail"], mbr["detail"])
        c.eq(f"{name}: GRUB core", core["state"], "ok")
        c.eq(f"{name}: BIOS verdict", bios["verdict"],
             "boots" if name == "intact" else "does_not_boot")
    else:
        c.eq(f"{name}: MBR boot code", mbr["state"], "missing")
        c.eq(f"{name}: GRUB core", core["state"], "missing")
        c.eq(f"{name}: BIOS verdict", bios["verdict"], "does_not_boot")
        c.true(f"{name}: BIOS summary says why",
               "MBR boot code is all zero" in bios["summary"]
               and "GRUB's core image is gone" in bios["summary"], bios["summary"])
    check_boot_files(c, name, bios, uefi, layout)
    bootfs = evidence(bios, "/boot filesystem")
    c.true(f"{name}: /boot evidence present", bootfs is not None)
    if bootfs is not None:
        c.eq(f"{name}: /boot evidence", bootfs["state"],
             "damaged" if name == "corrupt-boot-sb" else "ok")
    if layout.get("table", "gpt") == "gpt":
        esp = evidence(uefi, "EFI system partition")
        c.eq(f"{name}: ESP evidence", esp and esp["state"], "ok")
        loader = evidence(uefi, "EFI boot loader")
        c.eq(f"{name}: EFI loader evidence", loader and loader["state"], "ok")
        c.true(f"{name}: shim and grub found on the ESP",
               loader and "EFI/centos/shimx64.efi" in loader["detail"]
               and "EFI/centos/grubx64.efi" in loader["detail"], loader and loader["detail"])
        c.eq(f"{name}: UEFI verdict", uefi["verdict"],
             "does_not_boot" if name in ("corrupt-boot-sb", "no-initramfs") else "boots")
    else:
        c.eq(f"{name}: UEFI verdict on an MBR disk", uefi["verdict"], "not_applicable")
    c.true(f"{name}: says what it did not check", len(disk["boot"]["not_checked"]) > 0)


def main():
    t.require_root_and_loop()
    fixtures = t.env_path("KVMR_FIXTURES")
    binary = t.env_path("KVMR_BIN")
    ids = t.fixture_ids()
    c = t.Checker()
    with t.SystemState():
        for name, layout in VARIANTS.items():
            img = os.path.join(fixtures, f"{name}.img")
            before = t.sha256(img)
            doc, _ = t.probe_json(binary, img)
            t.validate(doc, "probe.schema.json")
            c.eq(f"{name}: image unchanged by probe", t.sha256(img), before)
            disk = doc["disks"][0]
            c.eq(f"{name}: smart", disk["smart"]["status"], "not_applicable")
            c.eq(f"{name}: disk status", disk["status"],
                 "problems" if name == "corrupt-boot-sb" else "ok")
            check_layout(c, name, disk, ids, layout)
            check_boot(c, name, disk, layout)
            if name == "corrupt-boot-sb":
                p3 = disk["partition_table"]["partitions"][2]
                c.eq("corrupt-boot-sb: /boot type still xfs (libblkid)", p3["filesystem"]["type"], "xfs")
                c.eq("corrupt-boot-sb: /boot checksum", p3["filesystem"]["checksum"], "bad")
                c.eq("corrupt-boot-sb: /boot state", p3["state"], "damaged")
        blank = os.path.join(fixtures, "blank.img")
        doc, _ = t.probe_json(binary, blank)
        c.eq("blank: status", doc["disks"][0]["status"], "blank")
        c.eq("blank: size", doc["disks"][0]["size"], 4 << 30)
    c.finish()


if __name__ == "__main__":
    main()
