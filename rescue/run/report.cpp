// Summarising a run (see report.hpp).
#include "rescue/run/report.hpp"

#include <fmt/format.h>

#include <map>

namespace kvmr::run {
namespace {

std::string item_name(const ManifestItem &i) {
  return i.vm.empty() ? i.source : fmt::format("{} ({})", i.source, i.vm);
}

void add_item_errors(const ManifestItem &i, std::vector<std::string> &errors) {
  if (i.status == ItemStatus::failed) {
    errors.push_back(fmt::format("{}: not copied: {}", item_name(i), i.error));
  }
  if (i.xml_validation.state == "failed") {
    errors.push_back(fmt::format("{}: the XML does not validate (virt-xml-validate): {}", i.dest,
                                 i.xml_validation.detail));
  }
  if (i.image_check.state == "failed") {
    errors.push_back(
        fmt::format("{}: qemu-img check reports problems: {}", i.dest, i.image_check.detail));
  }
}

} // namespace

std::uint64_t bad_bytes_of(const ManifestItem &i) {
  std::uint64_t n = 0;
  for (const auto &r : i.bad_ranges) {
    n += r.length;
  }
  return n;
}

int RunReport::exit_code() const {
  if (!info.target_failure.empty()) {
    return 3;
  }
  if (info.cancelled) {
    return 130;
  }
  if (!errors.empty() || totals.bad_bytes > 0 || totals.failed > 0 || totals.pending > 0) {
    return 1;
  }
  return 0;
}

namespace {

void add_to_totals(Totals &t, const ManifestItem &i, std::uint64_t bad) {
  ++t.items;
  t.bytes += i.size;
  t.data_bytes += i.data_bytes;
  t.bytes_read += i.bytes_read;
  t.allocated_bytes += i.allocated_bytes;
  t.copy_seconds += i.copy_seconds;
  t.verify_seconds += i.verify_seconds;
  t.bad_bytes += bad;
  switch (i.status) {
  case ItemStatus::copied:
  case ItemStatus::copied_with_bad_sectors: ++t.copied; break;
  case ItemStatus::failed: ++t.failed; break;
  case ItemStatus::pending: ++t.pending; break;
  }
  t.reused += i.reused ? 1U : 0U;
  t.resumed += i.resumed ? 1U : 0U;
}

// Item I (of VM V, with BAD unreadable bytes) in V's outcome: its status
// is the worst of its items', with a reason for each problem.
void add_to_vm(VmOutcome &v, const ManifestItem &i, std::uint64_t bad) {
  ++v.items;
  v.bytes += i.size;
  v.bad_bytes += bad;
  if (i.status == ItemStatus::failed) {
    v.status = "failed";
    v.reasons.push_back(fmt::format("{}: {}", i.source, i.error));
  } else if (i.status == ItemStatus::pending && v.status != "failed") {
    v.status = "incomplete";
    if (v.reasons.empty() || v.reasons.back() != "not all items copied yet (rerun to resume)") {
      v.reasons.emplace_back("not all items copied yet (rerun to resume)");
    }
  } else if (bad > 0 && v.status == "copied") {
    v.status = "copied_with_bad_sectors";
  }
  if (bad > 0) {
    v.reasons.push_back(fmt::format("{}: {} bytes unreadable in {} range(s), zero-filled in {}",
                                    i.source, bad, i.bad_ranges.size(), i.dest));
  }
  if (i.xml_validation.state == "failed") {
    v.reasons.push_back(fmt::format("{} does not validate", i.dest));
  }
  if (i.image_check.state == "failed") {
    v.reasons.push_back(fmt::format("qemu-img check failed on {}", i.dest));
  }
}

// Each cdrom or floppy medium of V the plan does not copy (a host device,
// a missing ISO), said so the admin knows what to put back.
void add_media_not_copied(VmOutcome &v, const plan::RescuePlan &p) {
  for (const auto &r : p.rewrites) {
    if (r.eject && r.vm == v.name) {
      v.reasons.push_back(
          fmt::format("{}: not copied, the drive is kept empty ({})", r.from, r.reason));
    }
  }
}

// The VMs in the plan's order, then those whose items the plan's list
// lacks, then the ones the plan skipped (with the reason it gives).
std::vector<VmOutcome> vms_in_order(const plan::RescuePlan &p,
                                    std::map<std::string, VmOutcome> by_vm) {
  std::vector<VmOutcome> out;
  for (const auto &name : p.vms) {
    VmOutcome v = by_vm.at(name);
    add_media_not_copied(v, p);
    out.push_back(std::move(v));
    by_vm.erase(name);
  }
  for (auto &[name, v] : by_vm) { // items of VMs the plan's list lacks
    out.push_back(v);
  }
  for (const auto &s : p.skipped) {
    const auto colon = s.find(": ");
    VmOutcome v;
    v.name = colon == std::string::npos ? s : s.substr(0, colon);
    v.status = "skipped";
    v.reasons.push_back(colon == std::string::npos ? "not chosen" : s.substr(colon + 2));
    out.push_back(v);
  }
  return out;
}

std::vector<std::string> next_steps(const plan::RescuePlan &p, const RunReport &r,
                                    const RunInfo &info) {
  std::vector<std::string> out;
  const std::string plan_path = info.plan_path.empty() ? "plan.json" : info.plan_path;
  if (info.cancelled || r.totals.pending > 0) {
    out.push_back(
        fmt::format("finish the copy: kvm-rescue copy --plan {} (it resumes)", plan_path));
  }
  if (r.totals.failed > 0) {
    out.emplace_back(
        "look at the failed items above; fix the cause and rerun the copy (done items are kept)");
  }
  if (!r.damaged.empty()) {
    out.emplace_back(
        "the damaged ranges are zeros on the target; the ddrescue mapfiles under "
        "kvm-rescue/maps let a later ddrescue run on the old disk fill them in; check those "
        "guests' filesystems after booting them");
  }
  if (p.target.kind == plan::TargetKind::remote) {
    out.push_back(fmt::format("define the VMs on {}: kvm-rescue copy --plan {} --restore "
                              "(after its dry run, shown below; --start also starts those "
                              "marked autostart)",
                              p.target.path, plan_path));
  } else {
    out.push_back(fmt::format(
        "write the kickstart for the new host: kvm-rescue kickstart --plan {}", plan_path));
  }
  return out;
}

} // namespace

RunReport summarize(const plan::RescuePlan &p, const Manifest &m, const RunInfo &info) {
  RunReport r;
  r.info = info;
  for (const auto &s : p.sources) {
    r.sources.push_back(s.path);
  }
  std::map<std::string, std::string> guest_disk_of; // by dest
  for (const auto &item : p.items) {
    guest_disk_of[item.dest] = item.guest_disk;
  }
  std::map<std::string, VmOutcome> by_vm;
  for (const auto &name : p.vms) {
    by_vm[name] = VmOutcome{name, "copied", {}, 0, 0, 0};
  }
  for (const auto &i : m.items) {
    const std::uint64_t bad = bad_bytes_of(i);
    add_to_totals(r.totals, i, bad);
    for (const auto &b : i.bad_ranges) {
      r.damaged.push_back({i.vm, guest_disk_of[i.dest], i.source, i.dest, i.format, b.offset,
                           b.length, std::nullopt});
    }
    add_item_errors(i, r.errors);
    if (!i.vm.empty()) {
      auto it = by_vm.try_emplace(i.vm, VmOutcome{i.vm, "copied", {}, 0, 0, 0}).first;
      add_to_vm(it->second, i, bad);
    }
  }
  if (r.totals.copy_seconds > 0) {
    r.totals.copy_rate = static_cast<double>(r.totals.bytes_read) / r.totals.copy_seconds;
  }
  r.vms = vms_in_order(p, std::move(by_vm));
  r.next_steps = next_steps(p, r, info);
  return r;
}

} // namespace kvmr::run
