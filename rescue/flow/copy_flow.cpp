// The shared flow of `copy`, `rescue` and the wizard (see copy_flow.hpp).
#include "rescue/flow/copy_flow.hpp"

#include "rescue/disk/probe.hpp"
#include "rescue/disk/sysfs.hpp"
#include "rescue/flow/remote_flow.hpp"
#include "rescue/flow/remote_restore.hpp"
#include "rescue/flow/restore_on_disk.hpp"
#include "rescue/flow/system_finisher.hpp"
#include "rescue/plan/identity.hpp"
#include "rescue/plan/plan_json.hpp"
#include "rescue/run/atomic_text.hpp"
#include "rescue/run/execute.hpp"
#include "rescue/run/finisher.hpp"
#include "rescue/run/qcow2_damage.hpp"
#include "rescue/run/report_json.hpp"
#include "rescue/run/report_text.hpp"
#include "rescue/run/target_failure.hpp"
#include "rescue/scan/host_path.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/command.hpp"
#include "rescue/volume/registry.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sys/stat.h>

namespace kvmr::flow {
namespace {

void checkpoint(const CopyRequest &req) {
  if (req.checkpoint) {
    req.checkpoint();
  }
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

target::Layout layout_of(const plan::PlanTarget &t) {
  target::Layout l;
  l.fs_type = t.fs_type;
  l.el7_compatible = t.el7_compatible;
  l.label = t.label;
  l.oemdrv = t.oemdrv;
  return l;
}

// The kvm-rescue data partition (and OEMDRV) of a prepared device or image.
std::optional<target::PreparedTarget> find_prepared(const plan::PlanTarget &t) {
  SystemCommandRunner runner;
  disk::ProbeOptions po;
  po.smart = false;
  const disk::Disk d = disk::probe_disk(t.path, runner, po);
  std::optional<target::PreparedTarget> out;
  for (const auto &p : d.table.partitions) {
    if (p.fs.outcome != disk::ProbeOutcome::found) {
      continue;
    }
    if (p.fs.label == t.label && p.fs.type == t.fs_type && !out) {
      out = target::PreparedTarget{};
      out->path = t.path;
      out->data_offset = p.start;
      out->data_size = p.size;
      out->data_partuuid = p.uuid;
      out->data_fs_uuid = p.fs.uuid;
    }
  }
  if (out) {
    for (const auto &p : d.table.partitions) {
      if (p.fs.outcome == disk::ProbeOutcome::found && p.fs.label == "OEMDRV") {
        out->oemdrv_offset = p.start;
        out->oemdrv_size = p.size;
        out->oemdrv_partuuid = p.uuid;
        out->oemdrv_fs_uuid = p.fs.uuid;
      }
    }
  }
  return out;
}

std::optional<plan::RescuePlan> plan_in(const std::string &root) {
  const std::string f = run::plan_file(root);
  if (!exists(f)) {
    return std::nullopt;
  }
  try {
    return plan::load_plan(f);
  } catch (const std::exception &) {
    return std::nullopt; // not ours to continue; preparation decides
  }
}

struct OpenedTarget {
  std::unique_ptr<target::TargetMount> mount;
  OpenedRemote remote; // a network target: its link and mount
  bool resumed = false;
  std::vector<std::string> notes;
  [[nodiscard]] const std::string &root() const {
    return remote.target ? remote.target->root() : mount->root();
  }
};

OpenedTarget open_target(const plan::RescuePlan &p, const std::vector<disk::Disk> &sources,
                         const CopyRequest &req) {
  OpenedTarget out;
  const plan::PlanTarget &t = p.target;
  if (t.kind == plan::TargetKind::remote) {
    out.remote = open_remote(p, req.ssh_password);
    out.resumed = out.remote.resumed;
    out.notes = out.remote.notes;
    return out;
  }
  if (t.kind == plan::TargetKind::directory) {
    const target::TargetInfo info = target::inspect_target(t.path);
    const auto stored = plan_in(t.path);
    out.resumed = stored && stored->created == p.created;
    auto why = target::refusals(info, sources, out.resumed ? 0 : p.bytes_needed, layout_of(t));
    if (!why.empty()) {
      throw Refused(fmt::format("target {} refused: {}", t.path, fmt::join(why, "; ")));
    }
    out.mount = target::TargetMount::use_directory(t.path);
    return out;
  }
  // A device or image: continue an earlier run of this plan, or prepare.
  // What a killed earlier run left attached is released first, so it
  // does not count as "in use"; then the same refusals as for preparing
  // (a source disk never gets mounted read-write, whatever its labels).
  volume::reap_stale_runs(volume::kRunDir);
  const auto earlier = find_prepared(t);
  if (earlier &&
      target::refusals(target::inspect_target(t.path), sources, 0, layout_of(t)).empty()) {
    auto m = target::TargetMount::mount_prepared(*earlier, volume::kRunDir);
    const auto stored = plan_in(m->root());
    if (stored && stored->created == p.created) {
      out.mount = std::move(m);
      out.resumed = true;
      out.notes.push_back(fmt::format(
          "{} already holds this plan's kvm-rescue filesystem: continuing, nothing wiped", t.path));
      return out;
    }
  }
  checkpoint(req);
  const target::TargetInfo info = target::inspect_target(t.path);
  const auto why = target::refusals(info, sources, p.bytes_needed, layout_of(t));
  if (!why.empty()) {
    throw Refused(fmt::format("target {} refused: {}", t.path, fmt::join(why, "; ")));
  }
  if (req.confirm_wipe != t.path) {
    throw Refused(fmt::format(
        "target {} is a {} and would be wiped (new GPT, {} data filesystem{}): repeat its path "
        "as --confirm-wipe {} to go ahead{}",
        t.path, t.kind == plan::TargetKind::device ? "block device" : "disk image", t.fs_type,
        t.oemdrv ? ", OEMDRV partition" : "", t.path,
        req.confirm_wipe.empty()
            ? ""
            : fmt::format(" (--confirm-wipe {} does not name it)", req.confirm_wipe)));
  }
  const target::PreparedTarget prepared =
      target::prepare_target(t.path, req.confirm_wipe, sources, p.bytes_needed, layout_of(t));
  out.notes.push_back(fmt::format("{} prepared: data partition at {} ({}), filesystem {}", t.path,
                                  prepared.data_offset, run::size_text(prepared.data_size),
                                  prepared.data_fs_uuid));
  checkpoint(req);
  out.mount = target::TargetMount::mount_prepared(prepared, volume::kRunDir);
  return out;
}

// The network target is verified by the remote's own sha256sum, not read
// back; its mount takes no direct writes.
void tune_for_remote(run::ExecuteOptions &opt, remote::RemoteTarget &remote,
                     const CopyHooks &hooks) {
  if (opt.hash != copy::HashKind::sha256 && hooks.note) {
    hooks.note("the network target is verified with the remote's sha256sum: hashes are sha256");
  }
  opt.hash = copy::HashKind::sha256;
  // sshfs reports no allocation of its own: the remote's stat says.
  opt.allocated_of = [&remote](const std::string &path) {
    return remote.allocated_on_remote(path);
  };
  opt.tune_copy = [&remote](copy::CopyOptions &co) {
    co.hash = copy::HashKind::sha256;
    co.direct_write = false;
    co.target_hasher = [&remote](const std::string &path, std::uint64_t chunk_size,
                                 std::size_t chunks) {
      return remote.hash_on_remote(path, chunk_size, chunks);
    };
  };
}

// execute_plan on TARGET; a network target that fails before the first
// item (SFTP says little: a full disk is an I/O error) is asked why.
run::ExecuteResult execute_on(OpenedTarget &target, const plan::RescuePlan &p,
                              access::OldHost &host, const run::LvMaps &lvs,
                              const run::ExecuteOptions &opt) {
  try {
    return run::execute_plan(p, host, lvs, target.root(), opt);
  } catch (const SysError &e) {
    if (!target.remote.target) {
      throw;
    }
    throw Refused(fmt::format("{}; {}", e.what(), target.remote.target->failure_hint()));
  }
}

} // namespace

std::vector<disk::Disk> locate_sources(const plan::RescuePlan &p) {
  SystemCommandRunner runner;
  disk::ProbeOptions po;
  po.smart = false;
  std::vector<disk::Disk> found;
  std::vector<std::string> problems;
  for (const auto &want : p.sources) {
    std::vector<std::string> paths;
    if (exists(want.path)) {
      paths.push_back(want.path);
    }
    for (const auto &id : want.by_id) {
      std::error_code ec;
      const auto real = std::filesystem::canonical(id, ec);
      if (!ec && std::find(paths.begin(), paths.end(), real.string()) == paths.end()) {
        paths.push_back(real.string());
      }
    }
    std::vector<disk::Disk> candidates;
    candidates.reserve(paths.size());
    for (const auto &path : paths) {
      candidates.push_back(disk::probe_disk(path, runner, po));
    }
    plan::Located at = plan::locate_disk(want, candidates);
    if (at.path.empty()) {
      // Neither the planned path nor a by-id name leads to it (a plan made
      // on an image file, a disk without by-id names): any disk of this
      // machine with the same identity (table and filesystem UUIDs).
      for (const auto &path : disk::list_block_devices()) {
        if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
          paths.push_back(path);
          candidates.push_back(disk::probe_disk(path, runner, po));
        }
      }
      if (plan::Located again = plan::locate_disk(want, candidates); !again.path.empty()) {
        at = std::move(again);
      }
    }
    if (at.path.empty()) {
      problems.push_back(fmt::format(
          "source disk {} is not the one the plan was made on{}", want.path,
          at.differences.empty() ? ": not found"
                                 : fmt::format(": {}", fmt::join(at.differences, "; "))));
      continue;
    }
    for (auto &c : candidates) {
      if (c.path == at.path) {
        found.push_back(std::move(c));
        break;
      }
    }
  }
  if (!problems.empty()) {
    throw Refused(fmt::format("{}", fmt::join(problems, "\n")));
  }
  return found;
}

void recheck_sources(const plan::RescuePlan &p, access::OldHost &host, const run::LvMaps &lvs) {
  std::vector<std::string> problems;
  for (const auto &item : p.items) {
    if (item.kind == plan::ItemKind::lv_image) {
      const auto it = lvs.lvs.find(item.source);
      if (it == lvs.lvs.end()) {
        problems.push_back(fmt::format("LV {} is gone", item.source));
      } else if (it->second.size != item.size) {
        problems.push_back(fmt::format("LV {} is {} bytes, the plan has {}", item.source,
                                       it->second.size, item.size));
      }
      continue;
    }
    // The file the path leads to inside the old root, as the copy reads it:
    // a planned path that is a symlink (/var/lib/libvirt/images ->
    // /home/images, an image linked elsewhere) is checked as its file.
    const auto st = scan::resolve_in_root(host.tree(), item.source).stat;
    if (!st) {
      problems.push_back(fmt::format("{} is gone", item.source));
    } else if (st->type != io::FileType::regular) {
      problems.push_back(fmt::format("{} is no longer a regular file", item.source));
    } else if (item.size != 0 && st->size != item.size && !item.rewritten) {
      problems.push_back(
          fmt::format("{} is {} bytes, the plan has {}", item.source, st->size, item.size));
    }
  }
  if (!problems.empty()) {
    throw Refused(
        fmt::format("the old host no longer matches the plan: {}", fmt::join(problems, "; ")));
  }
}

std::optional<plan::RescuePlan> stored_plan(const plan::PlanTarget &t,
                                            const std::vector<disk::Disk> &sources) {
  if (t.kind == plan::TargetKind::directory) {
    return plan_in(t.path);
  }
  if (!exists(t.path)) {
    return std::nullopt;
  }
  volume::reap_stale_runs(volume::kRunDir);
  const auto earlier = find_prepared(t);
  // Never mounted when anything refuses it (a source, in use, ...).
  if (!earlier ||
      !target::refusals(target::inspect_target(t.path), sources, 0, layout_of(t)).empty()) {
    return std::nullopt;
  }
  auto m = target::TargetMount::mount_prepared(*earlier, volume::kRunDir);
  return plan_in(m->root());
}

bool same_work(const plan::RescuePlan &a, const plan::RescuePlan &b) {
  if (a.sources.size() != b.sources.size() || a.items.size() != b.items.size()) {
    return false;
  }
  for (std::size_t n = 0; n < a.sources.size(); ++n) {
    if (!plan::identity_differences(a.sources[n], b.sources[n]).empty()) {
      return false;
    }
  }
  for (std::size_t n = 0; n < a.items.size(); ++n) {
    const auto &x = a.items[n];
    const auto &y = b.items[n];
    if (x.kind != y.kind || x.source != y.source || x.dest != y.dest || x.size != y.size) {
      return false;
    }
  }
  return a.target.path == b.target.path;
}

CopyOutcome run_copy(const plan::RescuePlan &p, const std::vector<disk::Disk> &sources,
                     access::OldHost &host, const CopyRequest &req, const CopyHooks &hooks) {
  const auto started = std::chrono::steady_clock::now();
  run::RunInfo info;
  info.started = run::utc_now();
  info.target = p.target.path;
  info.backend = access::to_string(host.backend());
  const run::LvMaps lvs = run::find_lv_maps(sources);
  recheck_sources(p, host, lvs);
  checkpoint(req);

  OpenedTarget target = open_target(p, sources, req);
  checkpoint(req);
  info.target_root = target.root();
  // Where the user finds the plan after this run: the target's mount
  // point is private and gone once the copy ends.
  info.plan_path =
      req.plan_file.empty()
          ? fmt::format("{}/kvm-rescue/plan.json (on {}{})", p.layout.images_dir, p.target.path,
                        p.target.kind == plan::TargetKind::remote ? "" : "'s data partition")
          : req.plan_file;
  info.warnings = p.warnings;
  if (hooks.note) {
    for (const auto &n : target.notes) {
      hooks.note(n);
    }
  }

  const auto finisher = system_finisher();
  run::ExecuteOptions opt;
  opt.hash = req.hash;
  if (target.remote.target) {
    tune_for_remote(opt, *target.remote.target, hooks);
  }
  opt.retries = req.retries;
  opt.max_rate = req.max_rate;
  opt.cancel = req.cancel;
  opt.finisher = finisher.get();
  opt.progress = hooks.progress;
  opt.log = hooks.note;
  if (p.target.kind == plan::TargetKind::remote) {
    opt.target_shown_as = p.target.path;
  } else if (p.target.kind != plan::TargetKind::directory) {
    opt.target_shown_as = fmt::format("{}'s data partition", p.target.path);
  }
  const std::string root = info.target_root;
  if (hooks.item_begin) {
    opt.item_begin = [&hooks, &root](const plan::PlanItem &item) {
      // Named as the copy engine names it (CopyProgress::item), so its
      // reports continue this item.
      hooks.item_begin(item, root + "/" + item.dest);
    };
  }
  opt.item_end = hooks.item_end;
  const run::ExecuteResult res = execute_on(target, p, host, lvs, opt);

  info.cancelled = res.cancelled;
  if (!res.target_failure.empty()) {
    info.target_failure =
        fmt::format("{}; {}", res.target_failure,
                    target.remote.target ? target.remote.target->failure_hint()
                                         : run::target_failure_advice(res.target_errno));
  }
  if (res.resumed) {
    info.warnings.emplace_back("continued an earlier run of this plan");
  }
  info.finished = run::utc_now();
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CopyOutcome out;
  out.report = run::summarize(p, res.manifest, info);
  // Damaged qcow2 ranges in qcow2 terms, read from the copies (zeros
  // where the old disk failed).
  run::map_qcow2_damage(out.report, info.target_root);
  // The restore script beside the payload, for another KVM host, once the
  // copy ran to its end (restore_on_disk.hpp).
  if (!res.cancelled && info.target_failure.empty()) {
    write_restore_script(p, info.target_root);
    if (p.target.kind != plan::TargetKind::remote) {
      out.report.next_steps.push_back(restore_script_step(p));
    }
  }
  const nlohmann::json doc = run::to_json(out.report);
  out.report_json = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  out.report_text = run::render_report(out.report);
  try {
    run::write_text_atomic(run::report_json_file(info.target_root), out.report_json);
    run::write_text_atomic(run::report_text_file(info.target_root), out.report_text);
  } catch (const SysError &e) {
    if (info.target_failure.empty()) {
      throw;
    }
    // The target is gone: the report goes to the terminal only.
    out.report_text +=
        fmt::format("\nThe report could not be written to the target: {}\n", e.what());
  }
  if (target.remote.link && !res.cancelled && info.target_failure.empty()) {
    RestoreRequest rr;
    rr.real = req.restore;
    rr.copy_complete = out.report.totals.failed == 0 && out.report.totals.pending == 0;
    rr.options = req.restore_options;
    const RestoreOutcome r = run_restore_over(p, *target.remote.link, rr);
    out.restore_output = r.output;
    out.restore_exit = r.exit_code;
  }
  if (hooks.finished && info.target_failure.empty()) {
    hooks.finished(
        std::filesystem::path(run::report_text_file(info.target_root)).parent_path().string());
  }
  out.cancelled = res.cancelled;
  out.exit_code = res.cancelled && info.target_failure.empty() ? 130 : out.report.exit_code();
  return out;
}

std::uint64_t bytes_to_copy(const plan::RescuePlan &p) {
  std::uint64_t total = 0;
  for (const auto &item : p.items) {
    total += item.allocated != 0 ? item.allocated : item.size;
  }
  return total;
}

} // namespace kvmr::flow
