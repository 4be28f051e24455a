// A libvirt domain definition (/etc/libvirt/qemu/NAME.xml) as the rescue
// needs it: identity, memory and CPUs, firmware (BIOS or UEFI loader and
// NVRAM), every disk with its source and backing chain, every network
// interface and graphics device; plus the raw XML text, kept unchanged so
// the domain can be redefined on the new host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

// One image in a disk's chain: the <source> of a <disk> or of a
// <backingStore>. Which of the source fields is set depends on TYPE.
struct DiskSource {
  std::string type;     // file, block, dir, volume, network ("" when absent)
  std::string format;   // driver type / backingStore format: raw, qcow2, ...
  std::string file;     // type file
  std::string dev;      // type block
  std::string dir;      // type dir
  std::string pool;     // type volume
  std::string volume;   // type volume
  std::string protocol; // type network: rbd, iscsi, nbd, gluster, ...
  std::string name;     // type network: "pool/image", target IQN/LUN, ...

  // The path (file, dev or dir), or "" for a volume or network source.
  [[nodiscard]] const std::string &path() const;
};

struct Disk {
  std::string device = "disk"; // disk, cdrom, floppy, lun
  std::string driver_name;     // qemu
  DiskSource source;           // source.type/format: <disk type>, <driver type>
  // The <backingStore> chain below SOURCE as the XML records it, nearest
  // first; empty when it names none, as a defined domain's XML usually does
  // (the images' own headers are the authority on the chain).
  std::vector<DiskSource> backing;
  std::string target_dev; // vda
  std::string target_bus; // virtio, sata, ide, scsi, ...
  // <source startupPolicy=>: mandatory, requisite, optional ("" when absent)
  std::string startup_policy;
  bool readonly = false;
  bool shareable = false;
};

struct Interface {
  std::string type;           // bridge, network, direct, user, ...
  std::string mac;            // lower-case as written
  std::string source_bridge;  // type bridge
  std::string source_network; // type network
  std::string source_dev;     // type direct
  std::string source_mode;    // type direct: bridge, vepa, private, passthrough
  std::string model;          // virtio, e1000, rtl8139
};

struct Graphics {
  std::string type; // vnc, spice, ...
  std::optional<int> port;
  bool autoport = false;
  std::string listen; // address from listen='' or <listen address=''>; "" when none
};

// <loader>: the path is the text (every libvirt version writes it so);
// empty when libvirt picks the firmware (<os firmware='efi'>).
struct Loader {
  std::string path;
  bool readonly = false;
  std::string type; // rom, pflash
  bool secure = false;
};

// <nvram> in every form libvirt writes: PATH as text (all versions, with
// template= since 1.2.8), or since 8.5 type='file' with <source file=>,
// type='block' with <source dev=>, type='network' with <source
// protocol= name=>.
struct Nvram {
  std::string type; // "file" (also for the text form), "block", "network"
  std::string path; // the local file or device; "" for a network store
  std::string template_path;
  std::string network; // type network: "iscsi iqn...", as "PROTOCOL NAME"
};

struct Domain {
  std::string name;
  std::string uuid;
  std::string title;
  std::string type; // kvm, qemu
  std::uint64_t memory_bytes = 0;
  std::uint64_t current_memory_bytes = 0; // = memory_bytes when not written
  unsigned vcpus = 0;
  unsigned current_vcpus = 0; // = vcpus when not written
  std::string os_type;        // hvm
  std::string arch;           // x86_64
  std::string machine;        // pc-i440fx-rhel7.0.0, pc-q35-rhel7.6.0
  std::string firmware;       // <os firmware='efi'>, "" when absent
  std::optional<Loader> loader;
  std::optional<Nvram> nvram;
  std::vector<Disk> disks;
  std::vector<Interface> interfaces;
  std::vector<Graphics> graphics;
  std::string xml; // the file's text, unchanged

  // UEFI: firmware='efi', a pflash loader or an NVRAM store.
  [[nodiscard]] bool uefi() const;
};

// Parses a domain's XML; FILE names it in messages. Throws InputError when
// the text is not XML, the root is not <domain>, or a required element
// (name, memory) is missing or malformed.
Domain parse_domain_xml(std::string_view text, const std::string &file);

// NUMBER scaled by a libvirt unit ("KiB", "M", "b", "GB", ...; "" means
// DEFAULT_UNIT) to bytes, as libvirt's virScaleInteger does: b/byte/bytes,
// powers of 1024 for k/KiB/M/MiB..., of 1000 for KB/MB..., any case.
// Throws InputError (naming WHAT) on a bad number, unknown unit or overflow.
std::uint64_t scale_to_bytes(std::string_view number, std::string_view unit,
                             std::string_view default_unit, const std::string &what);

} // namespace kvmr::scan
