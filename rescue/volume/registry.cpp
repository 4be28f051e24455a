// State files of attached resources, and clean-up after killed runs (see
// registry.hpp).
#include "rescue/volume/registry.hpp"

#include "rescue/util/error.hpp"
#include "rescue/volume/blkro.hpp"
#include "rescue/volume/device_mapper.hpp"
#include "rescue/volume/loop.hpp"
#include "rescue/volume/mount.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kvmr::volume {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json to_json(const RunRecord &r) {
  json loops = json::array();
  for (const auto &l : r.loops) {
    loops.push_back({{"device", l.device}, {"backing", l.backing}, {"offset", l.offset}});
  }
  json blkro = json::array();
  for (const auto &b : r.blkro) {
    blkro.push_back({{"device", b.device}, {"previous", b.previous}});
  }
  return json{{"pid", r.pid},
              {"start_time", r.start_time},
              {"session", r.session},
              {"tree", r.tree},
              {"loops", loops},
              {"mounts", r.mounts},
              {"dirs", r.dirs},
              {"blkro", blkro},
              {"dm_devices", r.dm_devices}};
}

RunRecord from_json(const json &j) {
  RunRecord r;
  r.pid = j.at("pid").get<int>();
  r.start_time = j.at("start_time").get<std::uint64_t>();
  r.session = j.at("session").get<bool>();
  r.tree = j.at("tree").get<std::string>();
  for (const auto &l : j.at("loops")) {
    r.loops.push_back({l.at("device").get<std::string>(), l.at("backing").get<std::string>(),
                       l.at("offset").get<std::uint64_t>()});
  }
  r.mounts = j.at("mounts").get<std::vector<std::string>>();
  // Absent in files of versions that made no device-mapper devices.
  r.dm_devices = j.value("dm_devices", std::vector<std::string>{});
  r.dirs = j.at("dirs").get<std::vector<std::string>>();
  for (const auto &b : j.at("blkro")) {
    r.blkro.push_back({b.at("device").get<std::string>(), b.at("previous").get<bool>()});
  }
  return r;
}

std::vector<std::pair<std::string, RunRecord>> load_all(const std::string &dir) {
  std::vector<std::pair<std::string, RunRecord>> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".json") {
      continue;
    }
    std::ifstream in(it->path());
    const auto j = json::parse(in, nullptr, false);
    if (j.is_discarded()) {
      continue;
    }
    try {
      out.emplace_back(it->path().string(), from_json(j));
    } catch (const json::exception &) {
      continue; // not ours, or written by an incompatible version
    }
  }
  return out;
}

bool alive(const RunRecord &r) {
  return r.pid > 0 && process_start_time(r.pid) == r.start_time;
}

// One file per Registry: a process may hold several at once (the source
// host and the target mount), each removing only its own at the end.
std::string file_for(const std::string &dir, int pid) {
  // The first keeps the plain name run-PID.json.
  static std::atomic<unsigned> seq{0};
  const unsigned n = seq++;
  return dir + "/run-" + std::to_string(pid) + (n == 0 ? "" : "-" + std::to_string(n)) + ".json";
}

} // namespace

std::uint64_t process_start_time(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!std::getline(in, s)) {
    return 0;
  }
  // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
  const auto close = s.rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) {
      return std::stoull(field);
    }
  }
  return 0;
}

Registry::Registry(std::string dir) : dir_(std::move(dir)) {
  fs::create_directories(dir_);
  ::chmod(dir_.c_str(), 0700);
  rec_.pid = static_cast<int>(::getpid());
  rec_.start_time = process_start_time(rec_.pid);
  file_ = file_for(dir_, rec_.pid);
  save();
}

Registry::~Registry() {
  if (!keep_) {
    std::error_code ec;
    fs::remove(file_, ec);
  }
}

void Registry::add_loop(const LoopRecord &r) {
  rec_.loops.push_back(r);
  save();
}
void Registry::add_mount(const std::string &target) {
  rec_.mounts.push_back(target);
  save();
}
void Registry::add_dm(const std::string &name) {
  rec_.dm_devices.push_back(name);
  save();
}
void Registry::add_dir(const std::string &dir) {
  rec_.dirs.push_back(dir);
  save();
}
void Registry::add_blkro(const BlkRoRecord &r) {
  rec_.blkro.push_back(r);
  save();
}

void Registry::keep_as_session(const std::string &tree) {
  rec_.session = true;
  rec_.tree = tree;
  keep_ = true;
  // A session's file is named after its tree, not the pid, which will die.
  std::error_code ec;
  fs::remove(file_, ec);
  file_ = dir_ + "/session-" + std::to_string(rec_.pid) + "-" + std::to_string(rec_.start_time) +
          ".json";
  save();
}

void Registry::save() {
  const std::string tmp = file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << to_json(rec_).dump(1) << '\n';
    out.flush();
    if (!out) {
      throw SysError(tmp, "write state file", errno != 0 ? errno : EIO);
    }
  }
  fs::rename(tmp, file_);
}

CleanupReport tear_down(const RunRecord &rec, const std::string &dir) {
  CleanupReport rep;
  for (auto it = rec.mounts.rbegin(); it != rec.mounts.rend(); ++it) {
    if (unmount_if_mounted(*it)) {
      rep.done.push_back("unmounted " + *it);
    } else if (is_mount_point(*it)) {
      rep.failed.push_back("could not unmount " + *it);
    }
  }
  for (auto it = rec.dm_devices.rbegin(); it != rec.dm_devices.rend(); ++it) {
    if (dm_remove_if_exists(*it)) {
      rep.done.push_back("removed device-mapper device " + *it);
    }
  }
  for (auto it = rec.loops.rbegin(); it != rec.loops.rend(); ++it) {
    if (detach_if_bound(it->device, it->backing, it->offset)) {
      rep.done.push_back("detached " + it->device + " (" + it->backing + ")");
    }
  }
  for (const auto &b : rec.blkro) {
    if (restore_read_only_flag(b.device, b.previous)) {
      rep.done.push_back("restored the read-only flag of " + b.device);
    }
  }
  for (auto it = rec.dirs.rbegin(); it != rec.dirs.rend(); ++it) {
    std::error_code ec;
    if (fs::exists(*it, ec) && !is_mount_point(*it) && fs::is_empty(*it, ec)) {
      fs::remove(*it, ec);
    }
  }
  std::error_code ec;
  for (const auto &[file, r] : load_all(dir)) {
    if (r.pid == rec.pid && r.start_time == rec.start_time) {
      fs::remove(file, ec);
    }
  }
  return rep;
}

CleanupReport reap_stale_runs(const std::string &dir) {
  CleanupReport all;
  for (const auto &[file, rec] : load_all(dir)) {
    if (rec.session || alive(rec)) {
      continue;
    }
    auto rep = tear_down(rec, dir);
    all.done.insert(all.done.end(), rep.done.begin(), rep.done.end());
    all.failed.insert(all.failed.end(), rep.failed.begin(), rep.failed.end());
  }
  return all;
}

std::optional<RunRecord> find_session(const std::string &tree, const std::string &dir) {
  std::error_code ec;
  const auto want = fs::weakly_canonical(tree, ec).string();
  for (const auto &[file, rec] : load_all(dir)) {
    if (rec.session && (rec.tree == tree || rec.tree == want)) {
      return rec;
    }
  }
  return std::nullopt;
}

} // namespace kvmr::volume
