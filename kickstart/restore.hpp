// The first-boot restore: a bash script and a systemd oneshot unit that,
// once libvirt runs on the new host, define everything the old host had
// from the payload the copy left on the data disk, in dependency order:
// secrets (and their values), pools, networks, NVRAM files, domains,
// snapshots (parents first), autostart as before, restorecon. Each domain
// (and snapshot) is fitted to the host it lands on from `virsh
// capabilities` and `domcapabilities` (restore_adapt.sh: virt type,
// emulator, machine type, UEFI paths, CPU mode; an adapted copy under
// /var/lib/kvm-rescue/xml is defined, every change logged and listed in
// /var/lib/kvm-rescue/restore-report.txt). Without KVM it stops before
// defining anything unless run with --allow-emulation. It logs, can run
// again without harm, and marks itself done only when every step worked.
// Every value that came from the old disk goes through shell_quote().
#pragma once

#include "kickstart/dialect.hpp"
#include "kickstart/firmware.hpp"

#include <string>
#include <vector>

namespace kvmr::kickstart {

// Paths are on the new host; XML and value files under the payload.
struct RestoreSecret {
  std::string uuid;
  std::string xml;
  std::string value_file; // base64 value; empty when the old host had none
};

struct RestoreObject { // a pool or a network
  std::string name;
  std::string xml;
  bool autostart = false;
};

struct RestoreNvram {
  std::string from; // payload copy
  std::string to;   // the <nvram> path of the domain
};

struct RestoreSnapshot {
  std::string domain;
  std::string name;
  std::string xml;
  std::string parent; // its <parent><name>; "" for a root or when unknown
};

struct RestoreDomain {
  std::string name;
  std::string xml;
  bool autostart = false;
};

struct RestoreSpec {
  Dialect dialect = Dialect::el7;
  std::string payload_dir; // for the log only
  std::string data_mount = "/var/lib/libvirt/images";
  std::vector<RestoreSecret> secrets;
  std::vector<RestoreObject> pools;
  std::vector<RestoreObject> networks;
  std::vector<RestoreNvram> nvram;
  std::vector<RestoreDomain> domains;
  std::vector<RestoreSnapshot> snapshots; // redefined parents before children
  // Known equivalents of the old host's firmware files on the target
  // dialect (firmware_moves(dialect)): the adaptation takes one where the
  // new host has the file, else what `virsh domcapabilities` lists.
  std::vector<FirmwareMove> firmware;
};

// SNAPS with every snapshot after its parent (of the same domain), the
// given order kept otherwise; a snapshot whose parent is not in the list
// (or in a cycle) keeps its place among the roots.
std::vector<RestoreSnapshot> order_snapshots(std::vector<RestoreSnapshot> snaps);

// The script, with the snapshots in order_snapshots() order.
std::string render_restore_script(const RestoreSpec &s);
std::string render_restore_unit(const RestoreSpec &s);

} // namespace kvmr::kickstart
