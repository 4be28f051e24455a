// Discovery of the old host's libvirt configuration through its read-only
// tree: domains, networks, storage pools (and what a dir pool holds),
// secrets, snapshot metadata, nwfilters, hooks and qemu.conf, each with its
// autostart state. A file that cannot be read or parsed is listed with the
// reason and the rest still comes through; what looks wrong but is no error
// (no /etc/libvirt, no domains, a stray autostart link) becomes a warning
// naming the file.
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/scan/domain_xml.hpp"
#include "rescue/scan/network_xml.hpp"
#include "rescue/scan/pool_xml.hpp"
#include "rescue/scan/qemu_conf.hpp"
#include "rescue/scan/secret_xml.hpp"
#include "rescue/scan/snapshot_xml.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::scan {

// Where libvirt 4.5 keeps its files on a CentOS 7 host.
namespace libvirt_paths {
inline constexpr const char *etc = "/etc/libvirt";
inline constexpr const char *domains = "/etc/libvirt/qemu";
inline constexpr const char *networks = "/etc/libvirt/qemu/networks";
inline constexpr const char *pools = "/etc/libvirt/storage";
inline constexpr const char *secrets = "/etc/libvirt/secrets";
inline constexpr const char *nwfilters = "/etc/libvirt/nwfilter";
inline constexpr const char *hooks = "/etc/libvirt/hooks";
inline constexpr const char *qemu_conf = "/etc/libvirt/qemu.conf";
inline constexpr const char *snapshots = "/var/lib/libvirt/qemu/snapshot";
} // namespace libvirt_paths

// Each *File: PATH on the old host; the parsed value, or nullopt with ERROR
// saying why ("FILE:LINE: message" for XML that does not parse).
struct DomainFile {
  std::string path;
  std::optional<Domain> domain;
  std::string error;
  bool autostart = false;
};

struct NetworkFile {
  std::string path;
  std::optional<Network> network;
  std::string error;
  bool autostart = false;
};

// An entry of a dir pool's target directory on the old host.
struct PoolVolume {
  std::string name;
  std::string path;
  io::FileType type = io::FileType::other;
  std::uint64_t size = 0;
  std::uint64_t allocated = 0;
};

struct PoolFile {
  std::string path;
  std::optional<StoragePool> pool;
  std::string error;
  bool autostart = false;
  // A dir pool whose target exists on the tree: its entries, by name.
  std::vector<PoolVolume> volumes;
};

// The value (UUID.base64) is never read: only whether it exists, its size.
struct SecretFile {
  std::string path;
  std::optional<Secret> secret;
  std::string error;
  bool value_present = false;
  std::uint64_t value_size = 0;
};

struct SnapshotFile {
  std::string path;
  std::string domain_dir; // the directory's name: the domain's name
  std::optional<DomainSnapshot> snapshot;
  std::string error;
};

struct QemuConf {
  bool present = false;
  std::vector<QemuConfSetting> settings;
};

struct LibvirtConfig {
  std::vector<DomainFile> domains; // each list sorted by file name
  std::vector<NetworkFile> networks;
  std::vector<PoolFile> pools;
  std::vector<SecretFile> secrets;
  std::vector<SnapshotFile> snapshots;
  std::vector<std::string> nwfilters; // filter names
  std::vector<std::string> hooks;     // file names in /etc/libvirt/hooks
  QemuConf qemu_conf;
  std::vector<std::string> warnings; // each names its file
};

// Largest libvirt XML file read (a domain XML is a few KiB).
inline constexpr std::uint64_t max_libvirt_xml_bytes = 8U << 20U;

// Reads everything above through TREE. Never throws for what is on the old
// disk (missing, unreadable or malformed files become errors and warnings).
LibvirtConfig read_libvirt_config(io::SourceTree &tree);

} // namespace kvmr::scan
