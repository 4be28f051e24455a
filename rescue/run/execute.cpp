// Executing a plan (see execute.hpp).
#include "rescue/run/execute.hpp"

#include "rescue/copy/copy_error.hpp"
#include "rescue/copy/copy_item.hpp"
#include "rescue/plan/plan_json.hpp"
#include "rescue/run/convert_item.hpp"
#include "rescue/run/item_source.hpp"
#include "rescue/run/target_failure.hpp"
#include "rescue/run/text_item.hpp"
#include "rescue/run/throttle.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <sys/stat.h>
#include <system_error>

namespace kvmr::run {
namespace {

namespace fs = std::filesystem;

bool is_xml(plan::ItemKind k) {
  using plan::ItemKind;
  return k == ItemKind::domain_xml || k == ItemKind::snapshot_xml || k == ItemKind::network_xml ||
         k == ItemKind::pool_xml || k == ItemKind::secret_xml;
}

void make_dirs(const std::string &dir, bool secret) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw SysError(dir, "create directory", ec.value());
  }
  if (secret && ::chmod(dir.c_str(), 0700) != 0) {
    throw SysError(dir, "chmod 0700", errno);
  }
}

std::string parent_of(const std::string &path) {
  return fs::path(path).parent_path().string();
}

void log_line(const ExecuteOptions &opt, const std::string &s) {
  if (opt.log) {
    opt.log(s);
  }
}

bool done(const ManifestItem &m) {
  return m.status == ItemStatus::copied || m.status == ItemStatus::copied_with_bad_sectors;
}

// An earlier run's entry for ITEM that can stand: done, same hash kind,
// the final file there with the recorded size.
bool reusable(const ManifestItem &old, const plan::PlanItem &item, const std::string &final_path,
              const std::string &hash_kind) {
  if (!done(old) || old.hash_kind != hash_kind || old.source != item.source ||
      old.dest != item.dest) {
    return false;
  }
  struct stat st {};
  if (::stat(final_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  return static_cast<std::uint64_t>(st.st_size) == old.size;
}

std::vector<plan::PathRewrite> rewrites_for(const plan::RescuePlan &p, const std::string &file) {
  std::vector<plan::PathRewrite> out;
  for (const auto &r : p.rewrites) {
    if (r.file == file) {
      out.push_back(r);
    }
  }
  return out;
}

void copy_bytes(const plan::RescuePlan &p, const plan::PlanItem &item, access::OldHost &host,
                const LvMaps &lvs, const std::string &root, const ExecuteOptions &opt,
                ManifestItem &m) {
  const std::string dest = target_path(root, item.dest);
  make_dirs(parent_of(dest), item.secret);
  ItemSource src = open_item_source(p, item, host, lvs);
  copy::CopyOptions co;
  co.hash = opt.hash;
  co.retry_passes = opt.retries;
  co.source_id = src.source_id;
  co.metadata_from = src.metadata_from;
  co.cancel = opt.cancel;
  if (opt.chunk_size != 0) {
    co.chunk_size = opt.chunk_size;
  }
  const std::string state_dir =
      target_path(root, (fs::path(p.layout.state_dir) / "state" / fs::path(item.dest).parent_path())
                            .lexically_normal()
                            .string());
  make_dirs(state_dir, true);
  co.state_dir = state_dir;
  if (opt.tune_copy) {
    opt.tune_copy(co);
  }
  std::unique_ptr<ThrottledByteSource> slow;
  io::ByteSource *from = src.bytes.get();
  if (opt.max_rate != 0) {
    slow = std::make_unique<ThrottledByteSource>(*src.bytes, opt.max_rate);
    from = slow.get();
  }
  const copy::CopyResult r = copy::copy_item(*from, dest, co, opt.progress);
  if (item.secret && ::chmod(dest.c_str(), 0600) != 0) {
    throw SysError(dest, "chmod 0600", errno);
  }
  m.size = r.size;
  m.data_bytes = r.data_bytes;
  m.bytes_read = r.bytes_read;
  m.allocated_bytes = opt.allocated_of ? opt.allocated_of(dest) : r.allocated_bytes;
  m.hash_kind = std::string(copy::hash_kind_name(r.hash_kind));
  m.hash = r.hash;
  m.verified = true;
  m.resumed = r.resumed;
  m.bad_ranges = r.bad_ranges;
  m.map_path = r.map_path.empty() ? "" : fs::relative(r.map_path, root).string();
  m.copy_seconds = r.copy_seconds;
  m.verify_seconds = r.verify_seconds;
  m.status = r.bad_ranges.empty() ? ItemStatus::copied : ItemStatus::copied_with_bad_sectors;
  if (!item.new_backing_name.empty()) {
    if (opt.finisher == nullptr) {
      throw InputError(dest + ": a new backing name is planned but no finisher is available");
    }
    opt.finisher->set_backing(dest, item.new_backing_name, item.new_backing_format);
    m.backing_rewrite = item.new_backing_name;
  }
}

void copy_text(const plan::RescuePlan &p, const plan::PlanItem &item, access::OldHost &host,
               const std::string &root, const ExecuteOptions &opt, ManifestItem &m) {
  const std::string dest = target_path(root, item.dest);
  const std::string original = host.tree().read_file(item.source, kMaxTextItem);
  std::string payload = original;
  if (item.rewritten) {
    const std::string rel =
        (fs::path(p.layout.state_dir) / "original" / fs::path(item.source).relative_path())
            .lexically_normal()
            .string();
    const std::string orig_path = target_path(root, rel);
    make_dirs(parent_of(orig_path), item.secret);
    const TextWrite o = write_text_item(orig_path, original, item.secret, opt.hash);
    m.original_dest = rel;
    m.original_hash = o.hash;
    if (opt.finisher == nullptr) {
      throw InputError(item.source + ": the plan rewrites it but no XML rewriter is available");
    }
    payload = opt.finisher->rewrite_xml(item, original, rewrites_for(p, item.source));
  }
  make_dirs(parent_of(dest), item.secret);
  const TextWrite w = write_text_item(dest, payload, item.secret, opt.hash);
  m.size = payload.size();
  m.data_bytes = payload.size();
  m.bytes_read = original.size();
  m.allocated_bytes = w.allocated;
  m.hash_kind = std::string(copy::hash_kind_name(opt.hash));
  m.hash = w.hash;
  m.verified = true;
  m.status = ItemStatus::copied;
}

void finish_checks(const plan::PlanItem &item, const std::string &root, const ExecuteOptions &opt,
                   ManifestItem &m) {
  if (opt.finisher == nullptr || !done(m)) {
    return;
  }
  const std::string dest = target_path(root, item.dest);
  if ((item.kind == plan::ItemKind::image || item.kind == plan::ItemKind::lv_image) &&
      item.format == "qcow2" && m.image_check.state == "not_run") {
    m.image_check = opt.finisher->check_image(dest, item.format);
  }
  if (is_xml(item.kind) && m.xml_validation.state == "not_run") {
    m.xml_validation = opt.finisher->validate_xml(item, dest);
  }
}

void stop_for_target(ExecuteResult &res, const SysError &e, const std::string &root,
                     const ExecuteOptions &opt) {
  res.target_failure = target_error_text(e, root, opt.target_shown_as);
  res.target_errno = e.error_code();
  log_line(opt, fmt::format("{}; stopping: {}", res.target_failure,
                            target_failure_advice(e.error_code())));
}

// What one run works with.
struct Run {
  const plan::RescuePlan &p;
  access::OldHost &host;
  const LvMaps &lvs;
  const std::string &root; // the target's
  const ExecuteOptions &opt;
  std::string hash_kind;
  std::string mpath; // the manifest

  [[nodiscard]] bool cancel_asked() const { return opt.cancel != nullptr && opt.cancel->load(); }
};

using EarlierItems = std::map<std::string, ManifestItem>; // by dest

// The manifest to fill into RES: a new one, or an earlier run's of the
// same plan continued; that run's items are returned.
EarlierItems begin_manifest(const Run &run, ExecuteResult &res) {
  EarlierItems earlier;
  if (const auto old = load_manifest(run.mpath); old && old->plan_created == run.p.created) {
    res.resumed = true;
    for (const auto &i : old->items) {
      earlier.emplace(i.dest, i);
    }
    res.manifest = manifest_for(run.p, run.hash_kind);
    res.manifest.started = old->started;
  } else {
    res.manifest = manifest_for(run.p, run.hash_kind);
  }
  return earlier;
}

// ITEM done by an earlier run and still there: its entry taken into M.
bool kept_from_earlier(const Run &run, const EarlierItems &earlier, const plan::PlanItem &item,
                       ManifestItem &m) {
  const auto it = earlier.find(item.dest);
  if (it == earlier.end() ||
      !reusable(it->second, item, target_path(run.root, item.dest), run.hash_kind)) {
    return false;
  }
  m = it->second;
  m.reused = true;
  log_line(run.opt, fmt::format("{}: done in an earlier run, kept", item.dest));
  return true;
}

enum class ItemEnd { copied, cancelled, target_failed };

// Copies ITEM; its failure is recorded in M. When the target gave out,
// RES says so.
ItemEnd copy_one(const Run &run, const plan::PlanItem &item, ManifestItem &m, ExecuteResult &res) {
  const ExecuteOptions &opt = run.opt;
  log_line(opt, fmt::format("{} -> {}", item.source, item.dest));
  std::optional<SysError> target_error; // the target gave out during this item
  if (opt.item_begin) {
    opt.item_begin(item);
  }
  try {
    if (is_xml(item.kind)) {
      copy_text(run.p, item, run.host, run.root, opt, m);
    } else if (!item.convert_from.empty()) {
      make_dirs(parent_of(target_path(run.root, item.dest)), false);
      convert_image(
          item, run.host.tree(), [&run](const std::string &p) { return run.host.local_path(p); },
          target_path(run.root, item.dest), m);
    } else {
      copy_bytes(run.p, item, run.host, run.lvs, run.root, opt, m);
    }
  } catch (const copy::Cancelled &) {
    m.status = ItemStatus::pending;
    return ItemEnd::cancelled;
  } catch (const SysError &e) {
    m.status = ItemStatus::failed;
    m.error = target_error_text(e, run.root, opt.target_shown_as);
    if (is_target_failure(e, run.root)) {
      target_error = e;
    }
  } catch (const std::exception &e) {
    m.status = ItemStatus::failed;
    m.error = e.what();
  }
  if (opt.item_end) {
    opt.item_end(item, m);
  }
  if (m.status == ItemStatus::failed) {
    log_line(opt, fmt::format("{}: FAILED: {}", item.dest, m.error));
  }
  if (target_error) {
    stop_for_target(res, *target_error, run.root, opt);
    return ItemEnd::target_failed;
  }
  return ItemEnd::copied;
}

// The manifest saved after an item; false when the target gave out
// (RES says so).
bool save_progress(const Run &run, ExecuteResult &res) {
  res.manifest.updated = utc_now();
  try {
    save_manifest(res.manifest, run.mpath);
  } catch (const SysError &e) {
    if (!is_target_failure(e, run.root)) {
      throw;
    }
    stop_for_target(res, e, run.root, run.opt);
    return false;
  }
  return true;
}

// Every item in turn, until a cancel or the target gives out.
void copy_items(const Run &run, const EarlierItems &earlier, ExecuteResult &res) {
  for (std::size_t n = 0; n < run.p.items.size(); ++n) {
    const plan::PlanItem &item = run.p.items[n];
    ManifestItem &m = res.manifest.items[n];
    if (run.cancel_asked()) {
      res.cancelled = true;
      return;
    }
    if (kept_from_earlier(run, earlier, item, m)) {
      continue;
    }
    const ItemEnd end = copy_one(run, item, m, res);
    if (end == ItemEnd::cancelled) {
      res.cancelled = true;
      return;
    }
    if (end == ItemEnd::target_failed || !save_progress(run, res)) {
      return;
    }
  }
}

// The qcow2 checks and XML validation of every copied item.
void check_items(const Run &run, ExecuteResult &res) {
  Manifest &man = res.manifest;
  for (std::size_t n = 0; n < run.p.items.size(); ++n) {
    if (run.cancel_asked()) {
      res.cancelled = true;
      return;
    }
    try {
      finish_checks(run.p.items[n], run.root, run.opt, man.items[n]);
    } catch (const std::exception &e) {
      man.items[n].xml_validation = {"failed", e.what()};
    }
  }
}

} // namespace

std::string plan_file(const std::string &target_root) {
  return target_root + "/kvm-rescue/plan.json";
}
std::string manifest_file(const std::string &target_root) {
  return target_root + "/kvm-rescue/manifest.json";
}
std::string report_json_file(const std::string &target_root) {
  return target_root + "/kvm-rescue/report.json";
}
std::string report_text_file(const std::string &target_root) {
  return target_root + "/kvm-rescue/report.txt";
}

std::string target_path(const std::string &target_root, const std::string &dest) {
  const fs::path rel(dest);
  if (dest.empty() || rel.is_absolute()) {
    throw InputError(fmt::format("plan destination \"{}\" is not a relative path", dest));
  }
  for (const auto &part : rel) {
    if (part == ".." || part == ".") {
      throw InputError(fmt::format("plan destination \"{}\" climbs out of the target", dest));
    }
  }
  return (fs::path(target_root) / rel).string();
}

ExecuteResult execute_plan(const plan::RescuePlan &p, access::OldHost &host, const LvMaps &lvs,
                           const std::string &target_root, const ExecuteOptions &opt) {
  const Run run{p,
                host,
                lvs,
                target_root,
                opt,
                std::string(copy::hash_kind_name(opt.hash)),
                manifest_file(target_root)};
  ExecuteResult res;
  make_dirs(target_root + "/kvm-rescue", false);
  const EarlierItems earlier = begin_manifest(run, res);
  plan::save_plan(p, plan_file(target_root));
  Manifest &man = res.manifest;
  save_manifest(man, run.mpath);
  copy_items(run, earlier, res);
  if (!res.target_failure.empty()) {
    // Nothing more can be written; the manifest of what was done is saved
    // if the target still takes it (a full one may).
    try {
      man.updated = utc_now();
      save_manifest(man, run.mpath);
    } catch (const SysError &) { // NOLINT(bugprone-empty-catch): the failure is already reported
    }
    return res;
  }
  if (!res.cancelled) {
    check_items(run, res);
  }
  man.complete = true;
  for (const auto &i : man.items) {
    man.complete = man.complete && i.status != ItemStatus::pending;
  }
  man.updated = utc_now();
  save_manifest(man, run.mpath);
  return res;
}

} // namespace kvmr::run
