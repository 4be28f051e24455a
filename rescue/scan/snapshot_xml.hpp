// A domain snapshot's metadata as libvirt keeps it on the host
// (/var/lib/libvirt/qemu/snapshot/DOMAIN/NAME.xml): which snapshot, of which
// domain, its parent and the disks it covers. Internal snapshots live inside
// the qcow2 images; this metadata is what lets libvirt list them again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

struct SnapshotDisk {
  std::string name;        // vda, or the disk's path
  std::string snapshot;    // no, internal, external; "" when not written
  std::string source_file; // external: the overlay
};

struct DomainSnapshot {
  std::string name;
  std::string domain_name;                   // <domain><name> inside the snapshot
  std::string state;                         // running, shutoff, disk-snapshot, ...
  std::optional<std::int64_t> creation_time; // seconds since the epoch
  std::string parent;                        // "" for a root snapshot
  std::string description;
  std::string memory;   // <memory snapshot=''>: no, internal, external
  bool current = false; // <active>1</active>: the domain's current snapshot
  std::vector<SnapshotDisk> disks;
  std::string xml; // the file's text, unchanged
};

// Throws InputError (naming FILE) on bad XML, a root other than
// <domainsnapshot>, no <name> or a malformed <creationTime>.
DomainSnapshot parse_snapshot_xml(std::string_view text, const std::string &file);

} // namespace kvmr::scan
