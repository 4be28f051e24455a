// Guest inspection (`kvm-rescue scan --inspect-guests`): what operating
// system is inside each VM's disks (type, distribution, product name,
// version, hostname), read through libguestfs with every drive read-only
// and its format given, never probed. One appliance serves all VMs. LVM
// cannot serve clashing guests side by side, so a VM is asked again in an
// appliance of its own when its disks hold LVM and showed no OS (a volume
// group named like another VM's: "centos" on every CentOS guest), when a
// PV UUID on its disks is also on an earlier VM's (a clone: LVM is told to
// ignore its disks in the shared appliance, which would otherwise activate
// neither), or when inspect_os fails for the shared appliance as a whole.
// A clone is known before the shared appliance's inspect_os (the long
// part): its own appliance starts at once on a worker thread, clones one
// after another there, so at most two appliances run at a time.
// Expected outcomes are values: a VM without an OS, a disk that cannot be
// opened, an appliance that cannot start here are notes in the result;
// nothing throws for them.
//
// Backing chains: a qcow2 is opened with its chain, the backing names
// resolved as qemu resolves them. A relative name (centos7-base.qcow2)
// resolves inside a kernel-mounted tree of the old host; an absolute one
// (/var/lib/libvirt/images/centos7-base.qcow2) names a path on this
// machine, where the old host's file is not: such a disk is left out with
// a note saying so (checked with qemu-img before the launch, which one
// unopenable disk would otherwise fail for all).
#pragma once

#include "rescue/guestfs/handle.hpp"
#include "rescue/util/command.hpp"

#include <string>
#include <vector>

namespace kvmr::guestfs {

// One disk of one VM, as the rescue machine reads it.
struct GuestDisk {
  std::string vm;     // the domain's name; disks of one VM share it
  std::string path;   // the image here, e.g. inside a kernel-mounted tree
  std::string format; // "raw", "qcow2", ...: from the domain XML, never probed
  // libvirt's <readonly/> (an install medium, a shared disk): a root found
  // on a writable disk of the VM is preferred to one found here.
  bool readonly = false;
  // The old host's tree as mounted here (MountedTree::root_dir), when PATH
  // lies in one: every file of the disk's chain must then lie inside it. A
  // backing file reached through a symlink whose absolute target leads out
  // of it (to this machine's own /home) leaves the disk out, with a note.
  std::string root;
};

enum class InspectState {
  found,   // an operating system was found; the fields say which
  no_os,   // the disks opened, and hold no operating system libguestfs knows
  failed,  // the VM's disks could not be opened, or inspection failed
  skipped, // no appliance could be launched here
};

const char *to_string(InspectState state) noexcept;

struct GuestInfo {
  std::string vm;
  InspectState state = InspectState::no_os;
  std::string root;         // the appliance's name of the root: /dev/sda1, /dev/centos/root
  std::string root_disk;    // path of the disk it lies on (the first, for an LV over several)
  std::string os_type;      // libguestfs' words: linux, windows, freebsd, ...; "" unknown
  std::string distro;       // centos, rhel, fedora, debian, ubuntu, windows, ...; "" unknown
  std::string product_name; // "CentOS Linux release 7.9.2009 (Core)"; "" unknown
  int major_version = 0;
  int minor_version = 0;
  std::string hostname; // empty when the guest names none
  // Why nothing was found, and caveats of what was (other roots, disks
  // left out, absolute backing names followed). In the order they arose.
  std::vector<std::string> notes;

  [[nodiscard]] std::string version() const; // "7.9"; "" when not found
};

struct GuestInspectOptions {
  // The appliances' messages; must outlive the call. Called from the
  // calling thread and the clones' worker, one call at a time.
  EventSink *sink = nullptr;
  CommandRunner *runner = nullptr; // for qemu-img; nullptr: the system's
  int memsize_mib = 0;             // 0: libguestfs' default
  int smp = 0;                     // 0: libguestfs' default
  bool retry_alone = true;         // false: no second appliance per clashing VM (see above)
};

// One GuestInfo per VM named in DISKS, in order of first appearance.
// Never throws for what it finds; only std::bad_alloc and the like escape.
std::vector<GuestInfo> inspect_guests(const std::vector<GuestDisk> &disks,
                                      const GuestInspectOptions &options = {});

} // namespace kvmr::guestfs
