// Guest inspection for scan (see scan_guests.hpp).
#include "rescue/cli/scan_guests.hpp"

#include "rescue/guestfs/guest_inspect.hpp"
#include "rescue/scan/host_path.hpp"

#include <exception>
#include <map>

namespace kvmr::cli {
namespace {

scan::GuestOs skipped(const std::string &why) {
  return {"skipped", "", "", "", "", "", "", {why}};
}

} // namespace

void inspect_guests(access::OldHost &host, scan::HostInventory &inv) {
  if (host.backend() != access::Backend::kernel) {
    for (auto &vm : inv.vms) {
      vm.guest = skipped("guest inspection needs the kernel path (run as root, --backend=kernel "
                         "or auto): through libguestfs the images are inside its appliance");
    }
    return;
  }
  std::vector<guestfs::GuestDisk> disks;
  std::map<std::string, std::vector<std::string>> left_out; // vm -> why
  for (const auto &vm : inv.vms) {
    if (!vm.error.empty()) {
      left_out[vm.name].push_back("the domain XML cannot be read");
      continue;
    }
    for (const auto &d : vm.disks) {
      if (d.device != "disk" && d.device != "lun") {
        continue;
      }
      if (d.lv || !d.chain || d.chain->members.empty() || !d.chain->members.front().exists) {
        left_out[vm.name].push_back(d.target + (d.lv ? ": LV-backed disks are not inspected"
                                                     : ": its image is not readable"));
        continue;
      }
      const auto &top = d.chain->members.front();
      std::string format = d.format;
      if (format.empty() && top.format) {
        format = std::string(scan::format_name(*top.format));
      }
      // Resolved inside the old root first: a symlinked image
      // (/var/lib/libvirt/images -> /home/images) never reaches this machine's /home.
      const std::string real = scan::resolve_in_root(host.tree(), d.path).path;
      disks.push_back({vm.name, host.local_path(real), format.empty() ? "raw" : format, d.readonly,
                       host.local_path("/")});
    }
  }
  std::vector<guestfs::GuestInfo> found;
  try {
    if (!disks.empty()) {
      found = guestfs::inspect_guests(disks);
    }
  } catch (const std::exception &e) {
    for (auto &vm : inv.vms) {
      vm.guest = skipped(std::string("guest inspection failed: ") + e.what());
    }
    return;
  }
  for (auto &vm : inv.vms) {
    scan::GuestOs g = skipped("no disk of this VM could be inspected");
    for (const auto &r : found) {
      if (r.vm == vm.name) {
        g = {guestfs::to_string(r.state),
             r.os_type,
             r.distro,
             r.product_name,
             r.version(),
             r.hostname,
             r.root,
             r.notes};
      }
    }
    for (const auto &why : left_out[vm.name]) {
      g.notes.push_back(why);
    }
    vm.guest = g;
  }
}

} // namespace kvmr::cli
