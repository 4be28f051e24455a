// The disk inventory as plain values: what probing found on one disk (its
// device facts, partition table, filesystems, health and boot diagnosis).
// Built by probe.hpp, printed by the front-ends, saved as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::disk {

// How far a disk could be read.
enum class DiskStatus {
  ok,           // read; table and filesystems look sound
  problems,     // read; something on it is damaged (see problems)
  blank,        // read; no table, no filesystem, its first MiB all zeros
  unrecognised, // read; no partition table and no filesystem found
  error,        // could not be read at all (missing, not a disk, empty, I/O)
};

// Whether a superblock or label checksum was verified.
enum class ChecksumVerdict {
  ok,          // computed and matches
  bad,         // computed and does not match
  none,        // this format (or version of it) carries no checksum
  not_checked, // the format has one, but nothing here verifies it
};

// The four outcomes of blkid_do_safeprobe().
enum class ProbeOutcome { found, nothing, ambiguous, error };

struct Filesystem {
  ProbeOutcome outcome = ProbeOutcome::nothing;
  std::string type;    // blkid TYPE: xfs, ext4, vfat, LVM2_member, swap ...
  std::string usage;   // blkid USAGE: filesystem, raid, crypto, other
  std::string uuid;    // blkid UUID (the PV UUID for LVM2_member)
  std::string label;   // blkid LABEL
  std::string version; // blkid VERSION
  ChecksumVerdict checksum = ChecksumVerdict::not_checked;
  std::string checksum_detail; // how it was checked, or what is wrong
  std::string role;            // plain words: "LVM2 physical volume" ...
  std::string error;           // libblkid's failure, when outcome==error
};

// The state of one partition in a sysadmin's words.
enum class PartitionState {
  intact,  // a known filesystem or volume, checksum fine or not checkable
  damaged, // a checksum failed, or the partition runs past the disk's end
  empty,   // only zeros where the content should start
  unknown, // something is there, but nothing recognised it
};

struct Partition {
  std::size_t number = 0;  // 1-based, as the kernel names it
  std::uint64_t start = 0; // bytes from the start of the disk
  std::uint64_t size = 0;  // bytes
  std::string type_code;   // GPT type GUID or MBR id ("0x83")
  std::string type_name;   // libfdisk's name for it
  std::string name;        // GPT partition name
  std::string uuid;        // GPT partition UUID (PARTUUID)
  bool bootable = false;   // MBR active flag / GPT legacy BIOS bootable
  std::string attrs;       // GPT attribute names as libfdisk prints them
  Filesystem fs;
  PartitionState state = PartitionState::unknown;
  std::vector<std::string> problems;
};

struct PartitionTable {
  std::string type; // "gpt", "dos", or empty when there is none
  std::string id;   // GPT disk GUID or MBR disk identifier ("0x4b564d52")
  std::vector<Partition> partitions;
  std::vector<std::string> problems; // libfdisk's warnings and our checks
};

// Facts the kernel and udev know about a block device. Image files leave
// these empty.
struct DeviceInfo {
  bool is_block_device = false;
  std::vector<std::string> by_id; // /dev/disk/by-id/... links to it
  std::string model;
  std::string serial;
  std::string transport; // sata, nvme, usb, virtio, scsi, loop, ...
  std::optional<bool> rotational;
  std::optional<bool> removable;
  std::optional<bool> read_only;
  std::string loop_backing_file; // for loop devices
};

enum class SmartStatus { passed, failed, unsupported, not_applicable, unavailable };

struct SmartHealth {
  SmartStatus status = SmartStatus::not_applicable;
  std::string detail;
};

// One piece of evidence for or against booting.
enum class EvidenceState { ok, missing, damaged, not_checked, not_applicable };

struct BootEvidence {
  std::string item; // "MBR boot code", "BIOS boot partition 1", ...
  EvidenceState state = EvidenceState::not_checked;
  std::string detail;
  std::string problem; // when missing/damaged: a clause for the summary
};

enum class BootVerdict { boots, does_not_boot, unknown, not_applicable };

struct BootPath {
  BootVerdict verdict = BootVerdict::unknown;
  std::string summary; // one sentence in plain words
  std::vector<BootEvidence> evidence;
};

struct BootDiagnosis {
  BootPath bios;
  BootPath uefi;
  std::vector<std::string> not_checked; // what this probe could not look at
};

struct Disk {
  std::string path;
  DiskStatus status = DiskStatus::error;
  std::string error; // why status==error
  std::uint64_t size = 0;
  unsigned logical_sector_size = 0;
  unsigned physical_sector_size = 0;
  DeviceInfo device;
  SmartHealth smart;
  PartitionTable table;
  std::optional<Filesystem> whole_disk; // content when there is no table
  BootDiagnosis boot;
  std::vector<std::string> problems; // disk-level, in plain words
};

const char *to_string(DiskStatus s) noexcept;
const char *to_string(ChecksumVerdict v) noexcept;
const char *to_string(ProbeOutcome o) noexcept;
const char *to_string(PartitionState s) noexcept;
const char *to_string(SmartStatus s) noexcept;
const char *to_string(EvidenceState s) noexcept;
const char *to_string(BootVerdict v) noexcept;

} // namespace kvmr::disk
