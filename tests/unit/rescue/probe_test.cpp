// probe_disk on image files built with the real tools (sfdisk, mkfs.xfs,
// mkfs.ext4, grub-mkimage): layout, filesystems, checksums, boot verdicts,
// bad input, and the promise that the source is never written.
#include "rescue/disk/probe.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

using namespace kvmr;       // NOLINT(google-build-using-namespace)
using namespace kvmr::disk; // NOLINT(google-build-using-namespace)

namespace {

constexpr const char *kXfsUuid = "11111111-2222-4333-8444-555555555555";
constexpr const char *kExtUuid = "66666666-7777-4888-8999-aaaaaaaaaaaa";
constexpr const char *kDiskGuid = "0badc0de-0000-4000-8000-000000000001";

bool tools_present() {
  for (const char *p : {"sfdisk", "mkfs.xfs", "mkfs.ext4"}) {
    if (!test::have(p)) {
      test::skip(std::string(p) + " not installed (scripts/setup installs it)");
      return false;
    }
  }
  return true;
}

// GPT: 1 MiB BIOS boot (zero), 320 MiB XFS, 32 MiB ext4; 400 MiB sparse.
std::string make_gpt_image(const test::TempDir &t) {
  const std::string img = t / "disk.img";
  const std::string xfs = t / "xfs.img";
  test::sh("truncate -s 400M " + img +
           " && printf '%s\\n' 'label: gpt' 'label-id: " + std::string(kDiskGuid) +
           "' 'start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649' "
           "'start=4096, size=655360, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=boot' "
           "'start=659456, size=65536, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4' | sfdisk -q " +
           img);
  test::sh("truncate -s 320M " + xfs + " && mkfs.xfs -q -m uuid=" + kXfsUuid + " " + xfs +
           " && dd if=" + xfs + " of=" + img +
           " bs=1M seek=2 conv=notrunc,sparse status=none && rm " + xfs);
  test::sh("mkfs.ext4 -q -U " + std::string(kExtUuid) +
           " -E offset=" + std::to_string(659456ULL * 512) + " " + img + " 32M");
  return img;
}

Disk probe(const std::string &path) {
  SystemCommandRunner r;
  return probe_disk(path, r);
}

bool any_contains(const std::vector<std::string> &v, const std::string &needle) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string &s) { return s.find(needle) != std::string::npos; });
}

} // namespace

TEST_CASE("a GPT image is read exactly, and not written" * doctest::test_suite("tools")) {
  if (!tools_present()) {
    return;
  }
  test::TempDir t;
  const std::string img = make_gpt_image(t);
  const std::string before = test::sha256_of(img);
  const Disk d = probe(img);
  CHECK(test::sha256_of(img) == before);

  CHECK(d.status == DiskStatus::ok);
  CHECK(d.size == 400ULL << 20U);
  CHECK(d.smart.status == SmartStatus::not_applicable);
  CHECK(d.table.type == "gpt");
  CHECK(d.table.id == kDiskGuid);
  REQUIRE(d.table.partitions.size() == 3);
  const auto &p1 = d.table.partitions[0];
  const auto &p2 = d.table.partitions[1];
  const auto &p3 = d.table.partitions[2];
  CHECK(p1.number == 1);
  CHECK(p1.start == 1ULL << 20U);
  CHECK(p1.type_code == "21686148-6449-6e6f-744e-656564454649");
  CHECK(p1.type_name == "BIOS boot");
  CHECK(p1.state == PartitionState::empty);
  CHECK(p2.start == 2ULL << 20U);
  CHECK(p2.size == 320ULL << 20U);
  CHECK(p2.name == "boot");
  CHECK(p2.fs.type == "xfs");
  CHECK(p2.fs.uuid == kXfsUuid);
  CHECK(p2.fs.checksum == ChecksumVerdict::ok);
  CHECK(p2.state == PartitionState::intact);
  CHECK(p3.fs.type == "ext4");
  CHECK(p3.fs.uuid == kExtUuid);
  CHECK(p3.fs.checksum == ChecksumVerdict::ok);

  CHECK(d.boot.bios.verdict == BootVerdict::does_not_boot);
  CHECK(d.boot.bios.summary.find("all zero") != std::string::npos);
  CHECK(d.boot.uefi.verdict == BootVerdict::not_applicable);
  CHECK_FALSE(d.boot.not_checked.empty());
}

TEST_CASE("GRUB in the MBR and the BIOS boot partition is recognised" *
          doctest::test_suite("tools")) {
  if (!tools_present() || !test::have("grub-mkimage") ||
      !std::filesystem::exists("/usr/lib/grub/i386-pc/boot.img")) {
    test::skip(
        "grub-mkimage or /usr/lib/grub/i386-pc/boot.img missing (grub-pc-bin not installed)");
    return;
  }
  test::TempDir t;
  const std::string img = make_gpt_image(t);
  test::sh("dd if=/usr/lib/grub/i386-pc/boot.img of=" + img +
           " bs=440 count=1 conv=notrunc status=none && grub-mkimage -O i386-pc -o " +
           (t / "core.img") + " -p '(hd0,gpt2)/grub2' biosdisk part_gpt xfs && dd if=" +
           (t / "core.img") + " of=" + img + " bs=512 seek=2048 conv=notrunc status=none");
  const Disk d = probe(img);
  REQUIRE(d.boot.bios.evidence.size() >= 2);
  CHECK(d.boot.bios.evidence[0].state == EvidenceState::ok);
  CHECK(d.boot.bios.evidence[0].detail.find("GRUB 2") != std::string::npos);
  CHECK(d.boot.bios.evidence[1].state == EvidenceState::ok);
  // Boot code is there but /boot's files are not read yet: not "boots".
  CHECK(d.boot.bios.verdict == BootVerdict::unknown);
}

TEST_CASE("a damaged XFS superblock is caught although libblkid accepts it" *
          doctest::test_suite("tools")) {
  if (!tools_present()) {
    return;
  }
  test::TempDir t;
  const std::string img = make_gpt_image(t);
  // Byte 108 of the superblock is in sb_fname (the label).
  test::sh("printf 'Z' | dd of=" + img +
           " bs=1 seek=$((2*1024*1024+108)) conv=notrunc status=none");
  const Disk d = probe(img);
  REQUIRE(d.table.partitions.size() == 3);
  const auto &p2 = d.table.partitions[1];
  CHECK(p2.fs.type == "xfs");
  CHECK(p2.fs.checksum == ChecksumVerdict::bad);
  CHECK(p2.state == PartitionState::damaged);
  CHECK(d.status == DiskStatus::problems);
  CHECK(d.boot.bios.summary.find("damaged") != std::string::npos);
}

TEST_CASE("a bad primary GPT header with a valid backup" * doctest::test_suite("tools")) {
  if (!tools_present()) {
    return;
  }
  test::TempDir t;
  const std::string img = make_gpt_image(t);
  test::sh("printf 'XX' | dd of=" + img + " bs=1 seek=$((512+16)) conv=notrunc status=none");
  const Disk d = probe(img);
  CHECK(d.table.type == "gpt");
  CHECK(d.table.partitions.size() == 3);
  CHECK(any_contains(d.table.problems, "backup"));
  CHECK(d.status == DiskStatus::problems);
}

TEST_CASE("both GPT headers bad, or a protective MBR with no GPT at all" *
          doctest::test_suite("tools")) {
  if (!tools_present()) {
    return;
  }
  test::TempDir t;
  const std::string img = make_gpt_image(t);
  const std::string last = "$(( $(stat -c %s " + img + ") - 512 ))";

  SUBCASE("both headers corrupted") {
    test::sh("printf 'XX' | dd of=" + img + " bs=1 seek=$((512+16)) conv=notrunc status=none");
    test::sh("printf 'XX' | dd of=" + img + " bs=1 seek=$((" + last +
             "+16)) conv=notrunc status=none");
  }
  SUBCASE("headers and entries zeroed") {
    test::sh("dd if=/dev/zero of=" + img + " bs=512 seek=1 count=33 conv=notrunc status=none");
    test::sh("dd if=/dev/zero of=" + img + " bs=512 seek=$((" + last +
             "/512 - 32)) count=33 conv=notrunc status=none");
  }
  const Disk d = probe(img);
  // libfdisk falls back to the MBR, whose one entry is the 0xEE cover.
  CHECK(d.table.type == "dos");
  REQUIRE(d.table.partitions.size() == 1);
  CHECK(d.table.partitions[0].type_code == "0xee");
  CHECK(any_contains(d.problems, "protective MBR"));
  CHECK(d.status == DiskStatus::problems);
}

TEST_CASE("a partition running past the end of a truncated image" * doctest::test_suite("tools")) {
  if (!tools_present()) {
    return;
  }
  test::TempDir t;
  const std::string img = t / "dos.img";
  test::sh("truncate -s 64M " + img +
           " && printf '%s\\n' 'label: dos' 'label-id: 0x0badc0de' "
           "'start=2048, size=30M, type=83' 'size=30M, type=8e' | sfdisk -q " +
           img + " && truncate -s 40M " + img);
  const Disk d = probe(img);
  CHECK(d.table.type == "dos");
  CHECK(d.table.id == "0x0badc0de");
  REQUIRE(d.table.partitions.size() == 2);
  CHECK(d.table.partitions[0].problems.empty());
  CHECK(d.table.partitions[1].state == PartitionState::damaged);
  CHECK(any_contains(d.table.partitions[1].problems, "past the end"));
  CHECK(d.status == DiskStatus::problems);
  CHECK(d.boot.uefi.verdict == BootVerdict::not_applicable);
}

TEST_CASE("paths that are not disks get a clear status, the rest still comes") {
  test::TempDir t;
  test::sh("truncate -s 0 " + (t / "empty.img") + " && head -c 4M /dev/urandom > " +
           (t / "random.img") + " && truncate -s 8M " + (t / "blank.img") + " && mkdir " +
           (t / "dir"));
  SystemCommandRunner r;
  const auto disks = probe_disks({t / "missing.img", t / "dir", t / "empty.img", t / "random.img",
                                  t / "blank.img", "/dev/null"},
                                 r);
  REQUIRE(disks.size() == 6);
  CHECK(disks[0].status == DiskStatus::error);
  CHECK(disks[0].error.find("no such file") != std::string::npos);
  CHECK(disks[1].status == DiskStatus::error);
  CHECK(disks[1].error.find("directory") != std::string::npos);
  CHECK(disks[2].status == DiskStatus::error);
  CHECK(disks[2].error.find("empty") != std::string::npos);
  CHECK(disks[3].status == DiskStatus::unrecognised);
  CHECK(disks[4].status == DiskStatus::blank);
  CHECK(disks[4].boot.bios.verdict == BootVerdict::not_applicable);
  CHECK(disks[5].status == DiskStatus::error);
  CHECK(disks[5].error.find("neither a block device nor a regular file") != std::string::npos);
}

TEST_CASE("a bare filesystem without a partition table" * doctest::test_suite("tools")) {
  if (!tools_present()) {
    return;
  }
  test::TempDir t;
  test::sh("truncate -s 32M " + (t / "fs.img") + " && mkfs.ext4 -q -U " + std::string(kExtUuid) +
           " " + (t / "fs.img"));
  const Disk d = probe(t / "fs.img");
  CHECK(d.status == DiskStatus::ok);
  REQUIRE(d.whole_disk.has_value());
  CHECK(d.whole_disk->type == "ext4");
  CHECK(d.whole_disk->uuid == kExtUuid);
}

TEST_CASE("the ESP's boot loaders are read without a vfat driver" * doctest::test_suite("tools")) {
  if (!tools_present() || !test::have("mkfs.vfat") || !test::have("mcopy")) {
    test::skip("mkfs.vfat or mtools not installed (scripts/setup installs dosfstools, mtools)");
    return;
  }
  test::TempDir t;
  const std::string img = t / "esp.img";
  test::sh("truncate -s 80M " + img +
           " && printf '%s\\n' 'label: gpt' "
           "'start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' | sfdisk -q " +
           img + " && mkfs.vfat -F 16 --offset=2048 " + img + " 65536 >/dev/null");
  const std::string at = img + "@@1048576";
  SUBCASE("shim and grub present") {
    test::sh("printf MZ > " + (t / "shim") + " && mmd -i " + at +
             " ::/EFI ::/EFI/centos && mcopy -i " + at + " " + (t / "shim") +
             " ::/EFI/centos/shimx64.efi");
    const Disk d = probe(img);
    const auto &ev = d.boot.uefi.evidence;
    const auto it = std::find_if(ev.begin(), ev.end(),
                                 [](const BootEvidence &e) { return e.item == "EFI boot loader"; });
    REQUIRE(it != ev.end());
    CHECK(it->state == EvidenceState::ok);
    CHECK(it->detail.find("EFI/centos/shimx64.efi") != std::string::npos);
  }
  SUBCASE("an empty EFI directory") {
    test::sh("mmd -i " + at + " ::/EFI");
    const Disk d = probe(img);
    CHECK(d.boot.uefi.verdict == BootVerdict::does_not_boot);
    CHECK(d.boot.uefi.summary.find("no EFI boot loader") != std::string::npos);
  }
}

TEST_CASE("a LUKS volume in a partition is recognised and named" * doctest::test_suite("tools")) {
  if (!tools_present() || !test::have("cryptsetup")) {
    test::skip("cryptsetup not installed (scripts/setup installs cryptsetup-bin)");
    return;
  }
  test::TempDir t;
  const std::string img = t / "luks.img";
  test::sh("truncate -s 64M " + img +
           " && printf '%s\\n' 'label: gpt' 'start=2048, size=40M' | "
           "sfdisk -q " +
           img + " && truncate -s 40M " + (t / "p") +
           " && printf pw | cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 "
           "--pbkdf-force-iterations 1000 --uuid 11111111-2222-4333-8444-555555555566 " +
           (t / "p") + " - && dd if=" + (t / "p") + " of=" + img +
           " bs=1M seek=1 conv=notrunc,sparse status=none");
  const Disk d = probe(img);
  REQUIRE(d.table.partitions.size() == 1);
  const auto &p = d.table.partitions[0];
  CHECK(p.fs.type == "crypto_LUKS");
  CHECK(p.fs.usage == "crypto");
  CHECK(p.fs.uuid == "11111111-2222-4333-8444-555555555566");
  CHECK(p.fs.role == "LUKS encrypted volume (not opened)");
  CHECK(p.state == PartitionState::intact);
}
