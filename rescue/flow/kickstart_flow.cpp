// The kickstart step (see kickstart_flow.hpp).
#include "rescue/flow/kickstart_flow.hpp"

#include "kickstart/render.hpp"
#include "kickstart/restore.hpp"
#include "rescue/disk/probe.hpp"
#include "rescue/plan/identity.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/command.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace kvmr::flow {

KickstartOutput make_kickstart(const plan::RescuePlan &plan, const kickstart::Overrides &o) {
  KickstartOutput out;
  out.profile = kickstart::build_profile(plan, o);
  const kickstart::RestoreSpec spec = kickstart::build_restore_spec(plan, out.profile.dialect);
  out.text = kickstart::render(
      out.profile, {kickstart::render_restore_script(spec), kickstart::render_restore_unit(spec)});
  return out;
}

std::string write_to_oemdrv(const std::string &path, const plan::RescuePlan &plan,
                            const std::string &ks) {
  SystemCommandRunner runner;
  disk::ProbeOptions popts;
  popts.smart = false;
  const disk::Disk d = disk::probe_disk(path, runner, popts);
  if (d.status == disk::DiskStatus::error) {
    throw InputError(fmt::format("{}: cannot read it: {}", path, d.error));
  }
  const plan::DiskIdentity here = plan::identify_disk(d);
  for (const auto &src : plan.sources) {
    for (const auto &u : src.fs_uuids) {
      if (std::find(here.fs_uuids.begin(), here.fs_uuids.end(), u) != here.fs_uuids.end()) {
        throw InputError(fmt::format("{} carries filesystem UUID {} of the old host's disk {}: "
                                     "refusing to write to it",
                                     path, u, src.path));
      }
    }
  }
  for (const auto &p : d.table.partitions) {
    if (p.fs.type == "vfat" && p.fs.label == "OEMDRV") {
      target::write_oemdrv_file(path, p.start, "ks.cfg", ks, &runner);
      return fmt::format("{} partition {}", path, p.number);
    }
  }
  throw InputError(fmt::format("{} has no partition with a vfat filesystem labelled OEMDRV "
                               "(`kvm-rescue copy` makes one on the disk it prepares)",
                               path));
}

std::string next_steps(const kickstart::Profile &p, bool on_oemdrv) {
  const char *where =
      on_oemdrv ? "The installer finds ks.cfg on the OEMDRV volume by itself (EL7.2 and\n"
                  "     later); if not, add to the boot line: inst.ks=hd:LABEL=OEMDRV:/ks.cfg"
                : "Put ks.cfg on a volume labelled OEMDRV and the installer reads it\n"
                  "     by itself; or add to the boot line: inst.ks=hd:LABEL=OEMDRV:/ks.cfg";
  std::ostringstream o;
  o << "Next steps at the server:\n"
    << "  1. Attach the new OS disk (" << p.os_disk << ")\n"
    << "     and the disk with the rescued VMs (" << p.data_disks.front().disk << ").\n"
    << "  2. Boot the " << (p.dialect == kickstart::Dialect::el7 ? "CentOS 7" : "EL")
    << " installation DVD.\n"
    << "     " << where << "\n"
    << "  3. After the install, set the firmware's boot order to the OS disk only.\n"
    << "  4. On first boot, kvm-rescue-restore.service defines every VM; its log is\n"
    << "     /var/log/kvm-rescue-restore.log.\n";
  return o.str();
}

} // namespace kvmr::flow
