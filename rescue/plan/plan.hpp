// RescuePlan: what a rescue will do, as one plain value built from the
// old host's inventory and the user's choices, printed for review and
// saved/loaded as the JSON answer file (`kvm-rescue plan -o plan.json`,
// `copy --plan`, `kickstart --plan`, the wizard's `--replay`).
//
// Layout on the target. The target filesystem will be mounted at the old
// images directory (PlanLayout::images_dir, /var/lib/libvirt/images) on
// the new host, so image paths under it stay the same:
//
//   TARGET/<path under images_dir>      images (and chain members) from
//                                       images_dir, same relative path
//   TARGET/relocated/<old abs path>     images from other directories;
//                                       the domain XML and the backing
//                                       names of their overlays are
//                                       rewritten to the new path
//   TARGET/lv/<vg>-<lv>.img             LV-backed disks, as raw files; the
//                                       <disk type='block'> becomes
//                                       type='file'
//   TARGET/kvm-rescue/payload/<old abs path>
//                                       domain/network/pool/secret/snapshot
//                                       XML (rewritten where a path moved),
//                                       NVRAM, secret values (0600), the
//                                       host config files the kickstart
//                                       needs
//   TARGET/kvm-rescue/original/<old abs path>
//                                       the unmodified XML of every file
//                                       the plan rewrites
//   TARGET/kvm-rescue/{plan.json,manifest.json,report.json,report.txt,
//                      state/,maps/}
#pragma once

#include "rescue/scan/logins.hpp"
#include "rescue/util/labels.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kvmr::plan {

inline constexpr int kSchemaVersion = 1;
inline constexpr const char *kPlanKind = "kvm-rescue.plan";

// A disk (or image file) as the plan recognises it in a later boot, when
// device names may have changed.
struct DiskIdentity {
  std::string path;               // as given when planning (/dev/sdb, an image file)
  std::vector<std::string> by_id; // /dev/disk/by-id names (block devices)
  std::string serial;             // empty when unknown (image files)
  std::string model;
  std::uint64_t size = 0;
  std::string table_type;                   // "gpt", "dos", ""
  std::string table_id;                     // GPT disk GUID or MBR identifier
  std::vector<std::string> partition_uuids; // PARTUUIDs, in partition order
  std::vector<std::string> fs_uuids;        // filesystem and PV UUIDs, sorted
  friend bool operator==(const DiskIdentity &, const DiskIdentity &) = default;
};

enum class ItemKind {
  image,        // a file-backed VM disk or one of its chain members
  lv_image,     // an LV-backed VM disk, copied to a raw file
  nvram,        // a UEFI VM's variable store
  domain_xml,   // /etc/libvirt/qemu/NAME.xml
  snapshot_xml, // /var/lib/libvirt/qemu/snapshot/NAME/SNAP.xml
  network_xml,  // /etc/libvirt/qemu/networks/NAME.xml
  pool_xml,     // /etc/libvirt/storage/NAME.xml
  secret_xml,   // /etc/libvirt/secrets/UUID.xml
  secret_value, // /etc/libvirt/secrets/UUID.base64 (written 0600)
  host_file,    // /etc/hostname, ifcfg-*, locale, ... for the kickstart step
};
const char *to_string(ItemKind k) noexcept;
// Throws InputError naming the value.
ItemKind parse_item_kind(const std::string &s);

struct PlanItem {
  ItemKind kind = ItemKind::image;
  std::string vm;         // owning VM; empty for host-level items
  std::string source;     // old-host path; the LV name ("centos/db01") for lv_image
  std::string dest;       // relative to the target root ("web01.img", "kvm-rescue/payload/etc/...")
  std::string new_path;   // absolute path on the new host ("" for payload-only items)
  std::string format;     // images: "raw", "qcow2", ...
  std::uint64_t size = 0; // apparent bytes
  std::uint64_t allocated = 0; // bytes on the source's disk (what the copy reads at most)
  // Images: the guest disk it is, in the VM's words: "vda", or "vda
  // (backing file)" for a file further down the chain. Empty otherwise.
  std::string guest_disk;
  // Images: when set, the format of the old top image (vmdk, vhdx, vpc,
  // ... or a qcow2 over one) whose whole chain the copy converts with
  // `qemu-img convert -O qcow2` into DEST (format is then qcow2).
  std::string convert_from;
  bool secret = false; // mode 0600, never printed
  // qcow2 overlays whose backing file moved: the backing name to write
  // into the copy's header (`qemu-img rebase -u` semantics); empty: keep.
  std::string new_backing_name;
  std::string new_backing_format;
  // XML items: the payload copy is rewritten (see Plan::rewrites).
  bool rewritten = false;
  // domain/network/pool XML: started with the host on the old host (the
  // restore sets the autostart link again).
  bool autostart = false;
  friend bool operator==(const PlanItem &, const PlanItem &) = default;
};

// One change of a path in libvirt XML (a <disk> source, an <nvram>).
struct PathRewrite {
  std::string vm;             // domain name, or empty for pool XML
  std::string file;           // old-host XML file it applies to
  std::string from;           // old-host path
  std::string to;             // new-host path
  bool block_to_file = false; // <disk type='block' dev=...> -> type='file' file=...
  std::string new_format;     // the <driver type=...> to set; empty: keep
  std::string reason;         // in plain words
  // A cdrom or floppy whose medium is not copied (a host device, a missing
  // ISO): the drive is kept with no <source>; `to` is empty.
  bool eject = false;
  friend bool operator==(const PathRewrite &, const PathRewrite &) = default;
};

// remote: another KVM host over SSH (path: ssh://[USER@]HOST[:PORT][/DIR]).
enum class TargetKind { directory, device, image, remote };
const char *to_string(TargetKind k) noexcept;
// Throws InputError naming the value.
TargetKind parse_target_kind(const std::string &s);

// remote: how the rescue medium reached the network (the wizard's Network
// screen), done again by a replay before it connects. METHOD "": nothing
// was set up (the address was there already).
struct NetworkChoice {
  std::string nic;
  std::string method;  // "", "dhcp" or "static"
  std::string address; // static: ADDR/PREFIX
  std::string gateway; // static: "" for none
  std::string dns;     // static: "" to leave resolv.conf alone
  friend bool operator==(const NetworkChoice &, const NetworkChoice &) = default;
};

struct PlanTarget {
  TargetKind kind = TargetKind::directory;
  std::string path;                 // DIR, /dev/sdX or an image file
  std::optional<DiskIdentity> disk; // device/image: as probed when planning
  std::string fs_type = "xfs";      // what preparation makes: "xfs" or "ext4"
  bool el7_compatible = true;       // mkfs options CentOS 7 can mount
  std::string label{kDataLabel};    // data filesystem label
  bool oemdrv = true;               // device/image: a small OEMDRV partition
  std::uint64_t capacity = 0;       // usable bytes for data (free space of DIR)
  std::string fs_uuid;              // directory, remote: the filesystem it is on
  // remote: how the host is reached. The host key's fingerprint the user
  // confirmed (or a known_hosts file), and the private key file (on the
  // rescue medium or a stick); never a password. The directory the run
  // goes to on that host is layout.images_dir.
  std::string host_key;
  std::string known_hosts;
  std::string identity; // a relative path is the answer file's directory's
  NetworkChoice network;
  friend bool operator==(const PlanTarget &, const PlanTarget &) = default;
};

// The new host's choices, read by `kickstart --plan` and the wizard.
struct KickstartChoices {
  std::string dialect = "el7"; // el7, el8, el9
  std::string os_disk;         // /dev/disk/by-id name; may not exist here
  // The rescued data disk's by-id name on the new host, when the target
  // has none here (an image file, a directory); empty: the target's own.
  std::string data_disk;
  std::string hostname;                       // default: the old host's
  std::map<std::string, std::string> nic_map; // old NIC name -> new NIC name or MAC
  // keep-old: the old host's root hash and keys (old_logins); hash: a new
  // crypt(3) hash (root_password_hash); locked: no password, ssh_key only.
  std::string root_password = "keep-old";
  std::string root_password_hash; // for "hash"
  std::string ssh_key;            // one more key for root, any policy
  // The old host's ways in, read when planning: root's (under keep-old)
  // and its admin accounts and sudoers.d (under every policy). Secret.
  scan::Logins old_logins;
  std::string timezone; // default: the old host's
  std::string lang;
  std::string keyboard;
  std::string install_source = "cdrom"; // cdrom or url
  std::string install_url;
  bool oemdrv = true; // write ks.cfg to the target's OEMDRV partition
  friend bool operator==(const KickstartChoices &, const KickstartChoices &) = default;
};

// remote: the restore on that host after the copy, as chosen on the
// wizard's Remote restore screen; a wizard replay runs it so, unattended.
struct RestoreRename {
  std::string from; // the rescued domain's name
  std::string to;   // the name it is defined under there
  friend bool operator==(const RestoreRename &, const RestoreRename &) = default;
};
struct RestoreChoices {
  bool start = false;           // start the autostart VMs (memory checked first)
  bool allow_emulation = false; // define as type qemu on a host without KVM
  std::vector<RestoreRename> renames;
  friend bool operator==(const RestoreChoices &, const RestoreChoices &) = default;
};

struct PlanLayout {
  std::string images_dir = "/var/lib/libvirt/images"; // the target's mount point on the new host
  std::string relocated_dir = "relocated";
  std::string lv_dir = "lv";
  std::string state_dir = "kvm-rescue"; // payload, reports, maps
  friend bool operator==(const PlanLayout &, const PlanLayout &) = default;
};

struct RescuePlan {
  int schema_version = kSchemaVersion;
  std::string created;   // ISO 8601 UTC
  std::string generator; // "kvm-rescue 0.1.0"
  std::vector<DiskIdentity> sources;
  std::string backend = "auto";
  std::string old_hostname;
  std::vector<std::string> vms;     // chosen, in inventory order
  std::vector<std::string> skipped; // not chosen or not ready, "NAME: why"
  PlanTarget target;
  PlanLayout layout;
  std::vector<PlanItem> items;
  std::vector<PathRewrite> rewrites;
  std::uint64_t bytes_needed = 0; // sum of items' allocated, plus margin
  KickstartChoices kickstart;
  RestoreChoices restore; // remote targets
  nlohmann::json host;    // scan::to_json(HostProfile) of the old host
  std::vector<std::string> warnings;
  friend bool operator==(const RescuePlan &, const RescuePlan &) = default;
};

// The space preflight's margin on top of the items' bytes: what the
// target filesystem spends beyond the file data (metadata, the payload's
// small files rounded up to blocks, kvm-rescue's state, maps and reports).
// bytes_needed = sum(allocated) + kMarginFixed + sum(allocated) * kMarginPercent / 100.
inline constexpr std::uint64_t kMarginFixed = std::uint64_t{64} << 20U; // 64 MiB
inline constexpr std::uint64_t kMarginPercent = 2;
// ALLOCATED bytes of items plus that margin.
constexpr std::uint64_t with_margin(std::uint64_t allocated) {
  return allocated + kMarginFixed + allocated * kMarginPercent / 100;
}

} // namespace kvmr::plan
