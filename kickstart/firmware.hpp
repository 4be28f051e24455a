// What a rescued guest needs from the new host's virtualization stack that
// may not be where the old CentOS 7 host had it: the UEFI firmware files
// (EL7's OVMF package keeps them in /usr/share/OVMF, EL8/EL9's edk2-ovmf
// in /usr/share/edk2/ovmf) and the machine types of the new qemu-kvm.
//
// The first-boot restore script fits each domain to the new host where it
// can see what the host offers (restore_adapt.sh, from `virsh
// capabilities` and `domcapabilities`); firmware_moves() is its hint table
// for the firmware files. When the payload's domain XML can be read at
// kickstart time, what will change is named in the Profile's warnings
// (guest_warnings).
#pragma once

#include "kickstart/dialect.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kvmr::kickstart {

// One firmware file the target dialect keeps under another path.
struct FirmwareMove {
  std::string from; // the old host's path, as written in <loader> or <nvram template=>
  std::string to;   // the same image on the target dialect
};

// The moves for a target dialect (none for EL7): the restore script takes
// the new path where the new host has the file.
std::vector<FirmwareMove> firmware_moves(Dialect d);

// Why MACHINE (<os><type machine=...>) may not start on the dialect's
// qemu-kvm, or "" when it is known to be there (or is an alias such as
// "pc" or "q35").
std::string machine_type_problem(std::string_view machine, Dialect d);

// A rescued guest as its payload XML describes it.
struct GuestFacts {
  std::string name;
  std::string machine;        // pc-i440fx-rhel7.0.0
  std::string loader;         // <loader> path, "" for BIOS
  std::string nvram_template; // <nvram template=>
};

// One snapshot's place in its domain's tree.
struct SnapshotFacts {
  std::string domain;
  std::string name;
  std::string parent; // "" for a root snapshot
};

// What the payload's XML says, read at kickstart time when the payload is
// reachable (payload_facts.hpp); empty otherwise.
struct PayloadFacts {
  std::vector<GuestFacts> guests;
  std::vector<SnapshotFacts> snapshots;
  std::vector<std::string> unreadable; // "FILE: why"
};

// Warnings for the person at the server: guests whose machine type the
// dialect's qemu-kvm lacks (the restore gives them the host's type of the
// same family), guests whose firmware the restore rewrites.
std::vector<std::string> guest_warnings(const std::vector<GuestFacts> &guests, Dialect d);

} // namespace kvmr::kickstart
