// Guest inspection through libguestfs (see guest_inspect.hpp): disk
// checks, one appliance for every usable disk, inspect_os, each root
// mapped back to the disks it lies on and so to its VM, and the second
// appliance per LVM VM that the first one showed no OS for. A cloned
// guest's own appliance runs on a worker thread while the shared one
// inspects (one at a time there: at most two appliances at once).
#include "rescue/guestfs/guest_inspect.hpp"

#include "rescue/guestfs/guest_disks.hpp"

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>

namespace kvmr::guestfs {
namespace {

constexpr std::string_view kSkippedNote =
    "guest inspection skipped: libguestfs cannot launch an appliance here: ";
constexpr std::string_view kNoOsNote = "no operating system found on its disks";

std::string known(std::string s) {
  return s == "unknown" ? std::string() : s;
}

// The caller's sink, one message at a time: two appliances (the shared one
// and a cloned guest's) may report at once from two threads.
class SerialSink final : public EventSink {
public:
  explicit SerialSink(EventSink *inner) : inner_(inner) {}
  void message(LogKind kind, std::string_view text) override {
    const std::lock_guard lock(mutex_);
    inner_->message(kind, text);
  }
  void progress(std::uint64_t done, std::uint64_t total) override {
    const std::lock_guard lock(mutex_);
    inner_->progress(done, total);
  }

private:
  EventSink *inner_;
  std::mutex mutex_;
};

// Called with the results (VMs) a shared appliance found to be cloned
// guests, before its inspect_os; they are asked alone elsewhere.
using StartAlone = std::function<void(const std::vector<std::size_t> &)>;

// One appliance over some of the disks. DISKS and RESULT_OF_DISK are the
// caller's; ADDED are indices into DISKS, in add order.
class Appliance {
public:
  Appliance(const std::vector<GuestDisk> &disks, const std::vector<std::size_t> &result_of_disk,
            std::vector<GuestInfo> &results, const GuestInspectOptions &options)
      : disks_(disks), result_of_disk_(result_of_disk), results_(results), options_(options) {}

  // Inspects ADDED; returns the results (VMs) to ask again alone when
  // ALLOW_RETRY, but for cloned guests, which go to CLONES (when set)
  // before the long inspect_os. Returns nullopt when no appliance launched.
  std::optional<std::vector<std::size_t>> run(std::vector<std::size_t> added, bool allow_retry,
                                              const StartAlone &clones = {});

private:
  bool start(std::vector<std::size_t> &added);
  void number_vms(const std::vector<std::size_t> &added);
  std::optional<std::vector<std::string>>
  inspect_os(bool retry_alone, const std::vector<bool> &deferred, std::vector<std::size_t> &retry);
  std::vector<FoundRoot> locate(const std::vector<std::string> &roots);
  void place(std::size_t vm, std::vector<std::size_t> &mine, const std::vector<FoundRoot> &found,
             const std::vector<std::size_t> &unplaced, bool retry_alone,
             std::vector<std::size_t> &retry);
  std::vector<std::size_t> pv_disks(const std::string &vg);
  void scan_pvs();
  std::vector<bool> clone_pvs();
  void fill(GuestInfo &info, const std::string &root, std::size_t disk);
  void note(std::size_t local_vm, const std::string &text) {
    results_[vm_result_[local_vm]].notes.push_back(text);
  }

  const std::vector<GuestDisk> &disks_;
  const std::vector<std::size_t> &result_of_disk_;
  std::vector<GuestInfo> &results_;
  const GuestInspectOptions &options_;
  std::optional<Handle> g_;
  std::vector<std::size_t> added_;                            // indices into disks_, in add order
  std::vector<std::size_t> vm_of_;                            // appliance disk -> local VM
  std::vector<std::size_t> vm_result_;                        // local VM -> index into results_
  std::optional<std::map<std::string, std::size_t>> pv_disk_; // PV UUID -> appliance disk
  std::vector<std::string> devices_; // list_devices: whole drives, in add order
  std::vector<bool> holds_lvm_;      // per local VM: a disk or partition is an LVM PV
  // blkid's PV UUID -> the local VMs whose disks carry it (clones share them)
  std::map<std::string, std::set<std::size_t>> pv_owners_;
};

bool Appliance::start(std::vector<std::size_t> &added) {
  std::set<std::size_t> vms;
  for (const std::size_t d : added) {
    vms.insert(result_of_disk_[d]);
  }
  const auto skip_all = [&](const std::string &why) {
    for (const std::size_t r : vms) {
      results_[r].state = InspectState::skipped;
      results_[r].notes.push_back(std::string(kSkippedNote) + why);
    }
  };
  try {
    g_.emplace(options_.sink);
    if (options_.memsize_mib > 0) {
      g_->set_memsize(options_.memsize_mib);
    }
    if (options_.smp > 0) {
      g_->set_smp(options_.smp);
    }
  } catch (const GuestfsError &e) {
    skip_all(e.what());
    return false;
  }
  for (const std::size_t d : added) {
    try {
      g_->add_drive_ro(disks_[d].path, disks_[d].format);
      added_.push_back(d);
    } catch (const GuestfsError &e) {
      auto &r = results_[result_of_disk_[d]];
      r.notes.push_back("disk " + disks_[d].path + " left out: " + e.message());
    }
  }
  if (added_.empty()) {
    return true;
  }
  try {
    g_->launch();
  } catch (const GuestfsError &e) {
    skip_all(e.message());
    return false;
  }
  return true;
}

// Local VM numbers for the disks that went in, in order of first disk;
// a VM none of whose disks in ADDED went in has failed.
void Appliance::number_vms(const std::vector<std::size_t> &added) {
  std::map<std::size_t, std::size_t> local_of_result;
  for (const std::size_t d : added_) {
    const auto [it, inserted] =
        local_of_result.try_emplace(result_of_disk_[d], local_of_result.size());
    if (inserted) {
      vm_result_.push_back(result_of_disk_[d]);
    }
    vm_of_.push_back(it->second);
  }
  for (const std::size_t d : added) {
    auto &r = results_[result_of_disk_[d]];
    if (!local_of_result.contains(result_of_disk_[d]) && r.state != InspectState::failed) {
      r.state = InspectState::failed;
      r.notes.emplace_back("none of its disks can be opened here");
    }
  }
}

// inspect_os over every disk; when it fails, each VM (but the DEFERRED
// ones, asked alone already) is asked again alone (RETRY_ALONE: several
// VMs share the appliance) or has failed.
std::optional<std::vector<std::string>> Appliance::inspect_os(bool retry_alone,
                                                              const std::vector<bool> &deferred,
                                                              std::vector<std::size_t> &retry) {
  try {
    return g_->inspect_os();
  } catch (const GuestfsError &e) {
    for (std::size_t vm = 0; vm < vm_result_.size(); ++vm) {
      if (deferred[vm]) {
        continue;
      }
      if (retry_alone) {
        note(vm, std::string("asked again in an appliance of its own: inspecting all VMs "
                             "together failed: ") +
                     e.what());
        retry.push_back(vm_result_[vm]);
      } else {
        results_[vm_result_[vm]].state = InspectState::failed;
        note(vm, std::string("inspection failed: ") + e.what());
      }
    }
    return std::nullopt;
  }
}

// Each root with the appliance disks it lies on (a partition's disk, or
// the disks of its volume group's PVs).
std::vector<FoundRoot> Appliance::locate(const std::vector<std::string> &roots) {
  std::vector<FoundRoot> found;
  for (const auto &root : roots) {
    FoundRoot f{root, {}};
    const std::string_view dev = device_of_mountable(root);
    if (const auto index = disk_index_of(dev)) {
      f.disks.push_back(*index);
    } else if (const auto vg = lv_volume_group(dev)) {
      f.disks = pv_disks(*vg);
    }
    found.push_back(std::move(f));
  }
  return found;
}

// Local VM VM's result from the roots it owns (MINE, best first): the
// best one filled in, the others noted. With none, it has no OS, or is
// asked again alone when LVM may have hidden its root (RETRY_ALONE).
void Appliance::place(std::size_t vm, std::vector<std::size_t> &mine,
                      const std::vector<FoundRoot> &found, const std::vector<std::size_t> &unplaced,
                      bool retry_alone, std::vector<std::size_t> &retry) {
  const auto on_readonly_only = [&](std::size_t r) {
    const auto &d = found[r].disks;
    return !d.empty() && std::all_of(d.begin(), d.end(), [&](std::size_t i) {
      return i < added_.size() && disks_[added_[i]].readonly;
    });
  };
  std::stable_partition(mine.begin(), mine.end(),
                        [&](std::size_t r) { return !on_readonly_only(r); });
  GuestInfo &info = results_[vm_result_[vm]];
  bool across = false; // an unplaced root lies (partly) on this VM's disks
  for (const std::size_t r : unplaced) {
    for (const std::size_t d : found[r].disks) {
      across = across || (d < vm_of_.size() && vm_of_[d] == vm);
    }
  }
  if (mine.empty()) {
    if (retry_alone && (across || holds_lvm_[vm])) {
      note(vm, "asked again in an appliance of its own: its disks hold LVM, and a volume "
               "group named like another VM's is not activated beside it");
      retry.push_back(vm_result_[vm]);
      return;
    }
    info.state = InspectState::no_os;
    info.notes.emplace_back(kNoOsNote);
    if (across) {
      note(vm, "an operating system lies across disks of several VMs and was not attributed");
    }
    return;
  }
  const std::size_t best = mine.front();
  const auto &bd = found[best].disks;
  const std::size_t first = bd.empty() ? 0 : *std::min_element(bd.begin(), bd.end());
  const std::size_t disk = added_[first < added_.size() ? first : 0];
  fill(info, found[best].root, disk);
  for (std::size_t i = 1; i < mine.size(); ++i) {
    note(vm, "another operating system found at " + found[mine[i]].root +
                 "; reported: " + found[best].root);
  }
}

std::optional<std::vector<std::size_t>> Appliance::run(std::vector<std::size_t> added,
                                                       bool allow_retry, const StartAlone &clones) {
  if (!start(added)) {
    return std::nullopt;
  }
  std::vector<std::size_t> retry;
  number_vms(added);
  if (added_.empty()) {
    return retry;
  }
  // Asking a VM again alone helps only when it shared this appliance.
  const bool retry_alone = allow_retry && vm_result_.size() > 1;
  scan_pvs();
  // A PV UUID on two VMs' disks (cloned guests) keeps LVM from activating
  // that VG at all: the later VMs are hidden from LVM here, asked alone.
  const std::vector<bool> deferred =
      retry_alone ? clone_pvs() : std::vector<bool>(vm_result_.size(), false);
  std::vector<std::size_t> alone;
  for (std::size_t vm = 0; vm < vm_result_.size(); ++vm) {
    if (deferred[vm]) {
      note(vm, "asked again in an appliance of its own: an LVM physical volume on its disks has "
               "the same UUID as one on another VM's (a cloned guest)");
      alone.push_back(vm_result_[vm]);
    }
  }
  if (!alone.empty() && clones) {
    clones(alone);
  } else {
    retry.insert(retry.end(), alone.begin(), alone.end());
  }
  const auto roots = inspect_os(retry_alone, deferred, retry);
  if (!roots) {
    return retry;
  }
  const std::vector<FoundRoot> found = locate(*roots);
  auto placed = attribute_roots(found, vm_of_, vm_result_.size());
  for (std::size_t vm = 0; vm < vm_result_.size(); ++vm) {
    if (deferred[vm]) {
      continue;
    }
    place(vm, placed.roots_of_vm[vm], found, placed.unplaced, retry_alone, retry);
  }
  try {
    g_->shutdown();
  } catch (const GuestfsError &) { // NOLINT(bugprone-empty-catch): read-only, results are in
  }
  return retry;
}

void Appliance::fill(GuestInfo &info, const std::string &root, std::size_t disk) {
  try {
    info.root = root;
    info.root_disk = disks_[disk].path;
    info.os_type = known(g_->inspect_get_type(root));
    info.distro = known(g_->inspect_get_distro(root));
    info.product_name = known(g_->inspect_get_product_name(root));
    info.major_version = g_->inspect_get_major_version(root);
    info.minor_version = g_->inspect_get_minor_version(root);
    info.hostname = known(g_->inspect_get_hostname(root));
    info.state = InspectState::found;
  } catch (const GuestfsError &e) {
    info.state = InspectState::failed;
    info.notes.push_back(std::string("inspection of ") + root + " failed: " + e.what());
  }
}

// The appliance disks holding the PVs of VG; empty when not known.
std::vector<std::size_t> Appliance::pv_disks(const std::string &vg) {
  std::vector<std::size_t> out;
  try {
    if (!pv_disk_) {
      pv_disk_.emplace();
      for (const auto &pv : g_->pvs()) {
        if (const auto index = disk_index_of(pv)) {
          pv_disk_->emplace(g_->pvuuid(pv), *index);
        }
      }
    }
    for (const auto &uuid : g_->vgpvuuids(vg)) {
      const auto it = pv_disk_->find(uuid);
      if (it == pv_disk_->end()) {
        return {}; // a PV not on any disk we know: cannot tell
      }
      out.push_back(it->second);
    }
  } catch (const GuestfsError &) {
    return {};
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Which local VMs' disks (whole, or a partition) are LVM PVs, and their
// UUIDs, by blkid: the appliance's LVM may not list a PV whose VG or UUID
// clashes with another.
void Appliance::scan_pvs() {
  holds_lvm_.assign(vm_result_.size(), false);
  try {
    devices_ = g_->list_devices();
    auto devices = devices_;
    const auto parts = g_->list_partitions();
    devices.insert(devices.end(), parts.begin(), parts.end());
    for (const auto &dev : devices) {
      const auto index = disk_index_of(dev);
      if (!index || *index >= vm_of_.size() || g_->vfs_type(dev) != "LVM2_member") {
        continue;
      }
      holds_lvm_[vm_of_[*index]] = true;
      pv_owners_[g_->vfs_uuid(dev)].insert(vm_of_[*index]);
    }
  } catch (const GuestfsError &) { // NOLINT(bugprone-empty-catch): then nothing is known
  }
}

// Per local VM: whether it shares a PV UUID with an earlier VM, in which
// case LVM is told to ignore its disks here. Nothing deferred when the
// filter cannot be set (inspect_os may then fail, and all go alone).
std::vector<bool> Appliance::clone_pvs() {
  std::vector<bool> deferred(vm_result_.size(), false);
  for (const auto &[uuid, owners] : pv_owners_) {
    for (auto it = std::next(owners.begin()); it != owners.end(); ++it) {
      deferred[*it] = true;
    }
  }
  if (std::none_of(deferred.begin(), deferred.end(), [](bool b) { return b; })) {
    return deferred;
  }
  std::vector<std::string> keep;
  for (const auto &dev : devices_) {
    const auto index = disk_index_of(dev);
    if (index && *index < vm_of_.size() && !deferred[vm_of_[*index]]) {
      keep.push_back(dev);
    }
  }
  try {
    g_->lvm_set_filter(keep);
  } catch (const GuestfsError &) {
    return std::vector<bool>(vm_result_.size(), false);
  }
  return deferred;
}

// The shared appliance over USABLE, then each VM it asks to be asked
// alone in an appliance of its own: cloned guests on a worker thread, one
// at a time, while the shared appliance inspects (into results of their
// own, merged at the end), the others after it.
void run_appliances(const std::vector<GuestDisk> &disks,
                    const std::vector<std::size_t> &result_of_disk,
                    const std::vector<std::size_t> &usable, const GuestInspectOptions &options,
                    std::vector<GuestInfo> &results) {
  SerialSink serial(options.sink);
  GuestInspectOptions opts = options;
  opts.sink = options.sink != nullptr ? &serial : nullptr;
  const auto alone = [&](std::size_t r, std::vector<GuestInfo> &into) {
    std::vector<std::size_t> own;
    std::copy_if(usable.begin(), usable.end(), std::back_inserter(own),
                 [&](std::size_t d) { return result_of_disk[d] == r; });
    static_cast<void>(Appliance(disks, result_of_disk, into, opts).run(own, false));
  };
  std::vector<GuestInfo> cloned(results.size());
  std::vector<std::size_t> clones;
  std::future<void> worker;
  const StartAlone start_clones = [&](const std::vector<std::size_t> &rs) {
    clones = rs;
    worker = std::async(std::launch::async, [&] {
      for (const std::size_t r : clones) {
        alone(r, cloned);
      }
    });
  };
  const auto retry = Appliance(disks, result_of_disk, results, opts)
                         .run(usable, options.retry_alone, start_clones);
  for (const std::size_t r : retry.value_or(std::vector<std::size_t>{})) {
    alone(r, results);
  }
  if (worker.valid()) {
    worker.get();
  }
  for (const std::size_t r : clones) {
    GuestInfo got = std::move(cloned[r]);
    got.vm = results[r].vm;
    got.notes.insert(got.notes.begin(), results[r].notes.begin(), results[r].notes.end());
    results[r] = std::move(got);
  }
}

} // namespace

const char *to_string(InspectState state) noexcept {
  switch (state) {
  case InspectState::found: return "found";
  case InspectState::no_os: return "no_os";
  case InspectState::failed: return "failed";
  case InspectState::skipped: return "skipped";
  }
  return "?";
}

std::string GuestInfo::version() const {
  if (state != InspectState::found) {
    return {};
  }
  return std::to_string(major_version) + "." + std::to_string(minor_version);
}

std::vector<GuestInfo> inspect_guests(const std::vector<GuestDisk> &disks,
                                      const GuestInspectOptions &options) {
  std::vector<GuestInfo> results;
  std::vector<std::size_t> result_of_disk;
  std::map<std::string, std::size_t> result_of_vm;
  for (const auto &d : disks) {
    const auto [it, inserted] = result_of_vm.try_emplace(d.vm, results.size());
    if (inserted) {
      results.emplace_back().vm = d.vm;
    }
    result_of_disk.push_back(it->second);
  }

  SystemCommandRunner system_runner;
  CommandRunner &runner = options.runner != nullptr ? *options.runner : system_runner;
  std::vector<std::size_t> usable;
  std::vector<bool> vm_has_disk(results.size(), false);
  for (std::size_t i = 0; i < disks.size(); ++i) {
    auto &r = results[result_of_disk[i]];
    auto check = check_disk(runner, disks[i].path, disks[i].format, disks[i].root);
    if (!check.usable) {
      r.notes.push_back("disk left out: " + check.problem);
      continue;
    }
    r.notes.insert(r.notes.end(), check.notes.begin(), check.notes.end());
    usable.push_back(i);
    vm_has_disk[result_of_disk[i]] = true;
  }
  for (std::size_t r = 0; r < results.size(); ++r) {
    if (!vm_has_disk[r]) {
      results[r].state = InspectState::failed;
      results[r].notes.emplace_back("none of its disks can be opened here");
    }
  }
  if (usable.empty()) {
    return results;
  }

  run_appliances(disks, result_of_disk, usable, options, results);
  return results;
}

} // namespace kvmr::guestfs
