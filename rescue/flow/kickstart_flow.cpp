// The kickstart step (see kickstart_flow.hpp).
#include "rescue/flow/kickstart_flow.hpp"

#include "kickstart/nic_match.hpp"
#include "kickstart/payload_facts.hpp"
#include "kickstart/render.hpp"
#include "kickstart/restore.hpp"
#include "rescue/disk/probe.hpp"
#include "rescue/flow/dir_data_disk.hpp"
#include "rescue/plan/identity.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/command.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>

namespace kvmr::flow {

namespace {

// The size of the OS disk when it is attached here under its by-id name.
std::optional<std::uint64_t> os_disk_size(const std::string &name) {
  if (name.empty()) {
    return std::nullopt;
  }
  const std::string id = kickstart::by_id_name(name); // "disk/by-id/X"
  const std::string path = "/dev/" + id;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return std::nullopt;
  }
  SystemCommandRunner runner;
  disk::ProbeOptions po;
  po.smart = false;
  const disk::Disk d = disk::probe_disk(path, runner, po);
  if (d.status == disk::DiskStatus::error || d.size == 0) {
    return std::nullopt;
  }
  return d.size;
}

// The data disk's by-id name found here when the plan has none (an answer
// file made on an image file, its target pointed at a device of this
// machine): the target device's own by-id name, but only when the device
// holds the plan's data filesystem (its UUID, else its label and type).
std::optional<std::string> data_disk_here(const plan::RescuePlan &plan) {
  if (plan.target.kind != plan::TargetKind::device || !plan.kickstart.data_disk.empty() ||
      (plan.target.disk && !plan.target.disk->by_id.empty())) {
    return std::nullopt;
  }
  std::error_code ec;
  if (!std::filesystem::exists(plan.target.path, ec)) {
    return std::nullopt;
  }
  SystemCommandRunner runner;
  disk::ProbeOptions po;
  po.smart = false;
  const disk::Disk d = disk::probe_disk(plan.target.path, runner, po);
  const bool holds_data =
      std::any_of(d.table.partitions.begin(), d.table.partitions.end(), [&](const auto &p) {
        return plan.target.fs_uuid.empty()
                   ? p.fs.label == plan.target.label && p.fs.type == plan.target.fs_type
                   : p.fs.uuid == plan.target.fs_uuid;
      });
  if (!holds_data || d.device.by_id.empty()) {
    return std::nullopt;
  }
  return plan::identify_disk(d).by_id.front(); // sorted, as the plan records them
}

} // namespace

KickstartOutput make_kickstart(const plan::RescuePlan &plan, const kickstart::Overrides &o,
                               const std::string &plan_file) {
  KickstartOutput out;
  kickstart::Overrides with = o;
  if (!with.local_nics) {
    with.local_nics = kickstart::read_local_nics();
  }
  if (!with.data_disk) {
    with.data_disk = data_disk_here(plan);
  }
  // A directory target: the filesystem holding it here names the data disk.
  std::optional<DirDataDisk> dir;
  if (!with.data_disk && plan.target.kind == plan::TargetKind::directory &&
      plan.kickstart.data_disk.empty()) {
    dir = dir_data_disk_here(plan.target.path, plan.target.fs_uuid);
    with.data_disk = dir->disk;
    if (dir->stack != DataStack::none) { // an existing LV or md array: kept, not partitioned
      kickstart::DataDisk st;
      st.kind = dir->stack == DataStack::lvm ? kickstart::DataKind::lvm : kickstart::DataKind::md;
      st.vg = dir->vg;
      st.lv = dir->lv;
      st.md = dir->md;
      st.member_disks = dir->member_disks;
      with.data_stack = st;
    } else if (!with.data_partition) {
      with.data_partition = dir->partition;
    }
  }
  if (!with.os_disk_bytes) {
    with.os_disk_bytes = os_disk_size(o.os_disk.value_or(plan.kickstart.os_disk));
  }
  const std::string root = kickstart::reachable_target_root(plan, plan_file);
  const kickstart::PayloadFacts facts =
      root.empty() ? kickstart::PayloadFacts{} : kickstart::read_payload_facts(plan, root);
  out.profile = kickstart::build_profile(plan, with, facts);
  if (dir) {
    kickstart::DataDisk &d = out.profile.data_disks.front();
    d.fs_uuid = dir->fs_uuid;
    if (!dir->fs_type.empty()) { // not known when the filesystem is not mounted here
      d.fstype = dir->fs_type;
    }
  }
  const kickstart::RestoreSpec spec =
      kickstart::build_restore_spec(plan, out.profile.dialect, facts);
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

namespace {

// How to log in, and what the written kickstart now holds.
void logins_steps(std::ostringstream &o, const kickstart::Profile &p, bool on_oemdrv) {
  std::vector<std::string> ways;
  if (!p.root_hash.empty()) {
    ways.emplace_back(p.root == kickstart::RootPolicy::keep_old ? "root with its old password"
                                                                : "root with the new password");
  }
  if (!p.root_keys.empty()) {
    ways.push_back(fmt::format("root with {} SSH key{}", p.root_keys.size(),
                               p.root_keys.size() == 1 ? "" : "s"));
  }
  for (const auto &u : p.admins) {
    ways.push_back(u.name + " (as on the old host)");
  }
  o << "  5. Log in as "
    << (ways.empty() ? "nobody (no way in was given)" : fmt::format("{}", fmt::join(ways, ", ")))
    << ".\n";
  if (!p.root_hash.empty() && p.dialect == kickstart::Dialect::el9) {
    o << "     EL9's sshd refuses root's password (keys and the console work).\n";
  }
  const bool hashes =
      !p.root_hash.empty() ||
      std::any_of(p.admins.begin(), p.admins.end(), [](const auto &u) { return !u.hash.empty(); });
  if (hashes) {
    o << "     ks.cfg holds password hashes: it is as sensitive as /etc/shadow"
      << (on_oemdrv ? ", and so is\n     the OEMDRV volume (FAT keeps no file modes): wipe it "
                      "after the install.\n"
                    : ".\n");
  }
}

} // namespace

std::string next_steps(const kickstart::Profile &p, bool on_oemdrv) {
  const char *where =
      on_oemdrv ? "The installer finds ks.cfg on the OEMDRV volume by itself (EL7.2 and\n"
                  "     later); if not, add to the boot line: inst.ks=hd:LABEL=OEMDRV:/ks.cfg"
                : "Put ks.cfg on a volume labelled OEMDRV and the installer reads it\n"
                  "     by itself; or add to the boot line: inst.ks=hd:LABEL=OEMDRV:/ks.cfg";
  std::ostringstream o;
  const kickstart::DataDisk &data = p.data_disks.front();
  const auto data_disks = kickstart::disks_of(data);
  o << "Next steps at the server:\n"
    << "  1. Attach the new OS disk (" << p.os_disk << ")\n";
  if (data_disks.size() == 1) {
    o << "     and the disk with the rescued VMs (" << data_disks.front() << ").\n";
  } else {
    o << "     and every disk of the "
      << (data.kind == kickstart::DataKind::lvm ? "VG " + data.vg : "md array " + data.md)
      << " with the rescued VMs:\n";
    for (const auto &d : data_disks) {
      o << "       " << d << "\n";
    }
  }
  if (!p.data_disks.front().fs_uuid.empty()) {
    o << "     Its filesystem UUID is " << p.data_disks.front().fs_uuid << ".\n";
  }
  o << "  2. Boot the " << (p.dialect == kickstart::Dialect::el7 ? "CentOS 7" : "EL")
    << " installation DVD.\n"
    << "     " << where << "\n"
    << "  3. After the install, set the firmware's boot order to the OS disk only.\n"
    << "  4. On first boot, kvm-rescue-restore.service defines every VM; its log is\n"
    << "     /var/log/kvm-rescue-restore.log.\n";
  logins_steps(o, p, on_oemdrv);
  return o.str();
}

} // namespace kvmr::flow
