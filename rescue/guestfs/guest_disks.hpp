// The pure parts of guest inspection (guest_inspect.hpp): which added disk
// an appliance device name comes from (the appliance names its drives
// /dev/sda, /dev/sdb, ... in the order they were added), which volume
// group an LV root lies in, which VM each root found belongs to, and what
// `qemu-img info --backing-chain` says about a disk image before the
// appliance is asked to open it.
#pragma once

#include "rescue/util/command.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::guestfs {

// "/dev/sda1" -> 0, "/dev/sdb" -> 1, "/dev/sdz" -> 25, "/dev/sdaa3" -> 26;
// also vdX, hdX and xvdX (other backends, older appliances). nullopt for
// anything else ("/dev/centos/root", "/dev/md127", "/dev/sd").
std::optional<std::size_t> disk_index_of(std::string_view device);

// The device under a libguestfs mountable: "btrfsvol:/dev/sda2/root" ->
// "/dev/sda2"; anything else unchanged.
std::string_view device_of_mountable(std::string_view mountable);

// The VG of an LV named the way libguestfs names LVs, "/dev/VG/LV";
// nullopt for partitions, whole disks, /dev/mapper and /dev/md names.
std::optional<std::string> lv_volume_group(std::string_view device);

// An operating system inspect_os found, and the appliance disks (indices
// in add order) it lies on: one for a partition, the PVs' disks for an LV,
// none when they could not be told.
struct FoundRoot {
  std::string root;
  std::vector<std::size_t> disks;
};

struct RootAttribution {
  // Per VM, indices into the roots it owns, best first: the root on the
  // VM's earliest disk first, ties in inspect_os' order.
  std::vector<std::vector<std::size_t>> roots_of_vm;
  // Roots whose disks belong to more than one VM, or that could not be
  // placed on any disk (while more than one VM shared the appliance).
  std::vector<std::size_t> unplaced;
};

// VM_OF_DISK[i] is the VM (0 .. VM_COUNT-1) appliance disk i belongs to. A
// root belongs to a VM when all its disks do; when every disk belongs to
// one VM, so does every root, placed or not.
RootAttribution attribute_roots(const std::vector<FoundRoot> &roots,
                                const std::vector<std::size_t> &vm_of_disk, std::size_t vm_count);

// Whether a disk image can be handed to the appliance, asked before
// launching: one that cannot be opened (a missing file, a backing file
// that is not there) would make the whole launch fail.
struct DiskCheck {
  bool usable = false;
  std::vector<std::string> chain; // the image, then its backing files as qemu-img names them
  std::string problem;            // why not usable
  std::vector<std::string> notes; // caveats of a usable disk
};

// `qemu-img info --backing-chain --output=json`'s array -> the members and
// a note for each absolute backing name followed (this machine's file at
// that path is what gets opened). Throws InputError on malformed JSON.
DiskCheck parse_backing_chain(std::string_view json);

// Checks PATH of FORMAT: a raw image must be readable; any other format
// is opened with its backing chain by qemu-img (through RUNNER), and on
// failure the problem says which backing name could not be followed. With
// ROOT (a directory holding the old host's tree), PATH and every member of
// its chain must resolve, on this machine, to a file inside ROOT: a symlink
// on the old disk whose absolute target is followed here leads out of it.
DiskCheck check_disk(CommandRunner &runner, const std::string &path, const std::string &format,
                     const std::string &root = {});

// The first of FILES whose real path on this machine is not ROOT or under
// it (symlinks followed by this machine's kernel); nullopt when all are.
std::optional<std::string> first_outside(const std::vector<std::string> &files,
                                         const std::string &root);

} // namespace kvmr::guestfs
