// What the plan reads off the old host's tree beyond the inventory: which
// of the host files the kickstart step needs exist, and the sizes of the
// payload files (the inventory does not record XML sizes).
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/plan/plan_build.hpp"

#include <vector>

namespace kvmr::plan {

// The host files for the kickstart step that exist on the old host as
// regular files: /etc/hostname, /etc/hosts, /etc/sysconfig/network, every
// /etc/sysconfig/network-scripts/ifcfg-*, /etc/locale.conf,
// /etc/vconsole.conf, /etc/resolv.conf, /etc/sysconfig/clock,
// /etc/libvirt/qemu.conf and /etc/libvirt/libvirtd.conf.
std::vector<HostFile> list_host_files(io::SourceTree &tree);

// Sets size and allocated of every payload item (XML, NVRAM, secret
// values, host files) from TREE, and bytes_needed again. An item whose
// file cannot be looked at keeps its sizes. Here and in list_host_files a
// symlink counts as the file it leads to inside the old root
// (scan::resolve_in_root), which is what the copy reads.
void stat_payload(RescuePlan &plan, io::SourceTree &tree);

} // namespace kvmr::plan
