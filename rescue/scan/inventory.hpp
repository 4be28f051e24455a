// HostInventory: everything `scan` found on the old host, as one value the
// later steps (plan, copy, kickstart, wizard) consume: the host profile,
// the libvirt configuration, and per VM its disks with their backing
// chains or LVs, its NVRAM, networks, snapshots, and a readiness verdict.
// Built only from what is read through a io::SourceTree plus the LVs
// the volume layer mapped; never throws for what is on the old disk.
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/scan/host_profile.hpp"
#include "rescue/scan/image_chain.hpp"
#include "rescue/scan/libvirt_config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::scan {

// An LV of the old host as the access path knows it.
struct LvFact {
  std::string name; // "centos/db01"
  std::uint64_t size = 0;
  bool readable = false; // every byte can be located (all its PVs present)
  std::string access;    // "loop_at_offset", "segment_map", "appliance", ...
  std::vector<std::string> problems;
};

enum class Readiness {
  ready,     // everything the VM needs is present and readable
  warnings,  // it can be rescued, with something to know (no NVRAM, a missing ISO)
  not_ready, // a disk or its chain is missing or unreadable, or the XML does not parse
};
const char *to_string(Readiness r) noexcept;

struct VmDisk {
  std::string target; // "vda"
  std::string device; // "disk", "cdrom", "floppy", "lun"
  std::string type;   // "file", "block", "volume", "network"
  std::string path;   // old-host path (a pool volume resolved to its file or LV)
  std::string format; // as the XML declares it
  bool readonly = false;
  // A cdrom or floppy whose medium is not copied (a host device, a missing
  // file): the copied XML keeps the drive with no medium.
  bool eject = false;
  std::optional<ImageChain> chain; // file-backed
  std::optional<LvFact> lv;        // block-backed by an LV of the old host
  std::uint64_t virtual_size = 0;
  std::uint64_t allocated = 0; // bytes the rescue copies: all chain files, or the LV
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

struct VmNvram {
  std::string path; // "" for a store that is not a local file (type network)
  bool present = false;
  std::uint64_t size = 0;
  bool named = false; // the domain XML names PATH (else it is libvirt's default)
};

// What guest inspection (libguestfs, optional) found inside the VM's disks.
struct GuestOs {
  std::string state; // "found", "no_os", "failed", "skipped"
  std::string os_type;
  std::string distro;
  std::string product_name;
  std::string version; // "7.9"
  std::string hostname;
  std::string root; // the appliance's device of the guest's root
  std::vector<std::string> notes;
};

struct VmInfo {
  std::string name; // safe (vm_name.hpp): what the rescue calls the VM
  // The name on the old disk when it was not safe (and `name` is the safe
  // one); empty otherwise. Its files on the old disk carry this one.
  std::string original_name;
  std::string uuid;
  std::string xml_path;
  std::string error; // the domain XML does not parse: why
  bool autostart = false;
  unsigned vcpus = 0;
  std::uint64_t memory_bytes = 0;
  std::string machine;
  bool uefi = false;
  std::string loader;
  std::optional<VmNvram> nvram;
  std::vector<VmDisk> disks;
  std::vector<std::string> networks;  // "bridge br0", "network default"
  std::vector<std::string> snapshots; // snapshot names
  Readiness readiness = Readiness::not_ready;
  std::vector<std::string> reasons; // why not ready, or the warnings
  // Every old-host file the rescue must copy for this VM (domain XML, each
  // chain member and data file, NVRAM, snapshot XML), without duplicates.
  std::vector<std::string> files;
  std::uint64_t allocated = 0;  // sum over the disks
  std::size_t chain_depth = 0;  // deepest disk chain
  std::optional<GuestOs> guest; // only with --inspect-guests
};

struct HostInventory {
  HostProfile profile;
  LibvirtConfig libvirt;
  std::vector<VmInfo> vms;
  std::vector<std::string> warnings; // host-level, each naming its file
};

// Reads the host profile and the libvirt configuration through TREE and
// builds every VM's view. LVS: the old host's LVs, for block-backed disks.
HostInventory build_inventory(io::SourceTree &tree, const std::vector<LvFact> &lvs);

// The VM's name as its files on the old disk carry it (snapshot folder,
// NVRAM default path): original_name, or name.
const std::string &name_on_old_disk(const VmInfo &vm);

// "/dev/centos/db01", "/dev/mapper/centos-db01" -> "centos/db01"; "" when
// PATH does not name an LV.
std::string lv_name_of(const std::string &path);

} // namespace kvmr::scan
