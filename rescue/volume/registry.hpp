// What each kvm-rescue process attached (loop devices, device-mapper
// devices, mounts, private directories, read-only flags on source devices), recorded in a state
// file under /run/kvm-rescue before it is attached, so a run killed with SIGKILL is cleaned up by
// the next one. A `mount-ro` session is recorded as such: it outlives its process and only `umount
// DIR` tears it down.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::volume {

inline constexpr const char *kRunDir = "/run/kvm-rescue";

struct LoopRecord {
  std::string device;
  std::string backing;
  std::uint64_t offset = 0;
};

struct BlkRoRecord {
  std::string device;
  bool previous = false; // the read-only flag before we set it
};

struct RunRecord {
  int pid = 0;
  std::uint64_t start_time = 0; // /proc/PID/stat field 22: tells a reused pid apart
  bool session = false;         // a mount-ro tree left mounted on purpose
  std::string tree;             // the tree's top directory (sessions)
  std::vector<LoopRecord> loops;
  std::vector<std::string> mounts;     // in the order they were mounted
  std::vector<std::string> dm_devices; // device-mapper names (kvmr-PID-VG-LV)
  std::vector<std::string> dirs;       // private directories to remove at the end
  std::vector<BlkRoRecord> blkro;
};

// What a clean-up did, in plain words, for the user to read.
struct CleanupReport {
  std::vector<std::string> done;
  std::vector<std::string> failed;
};

class Registry {
public:
  // Starts the record of this process in DIR.
  explicit Registry(std::string dir = kRunDir);
  Registry(const Registry &) = delete;
  Registry &operator=(const Registry &) = delete;
  Registry(Registry &&) = delete;
  Registry &operator=(Registry &&) = delete;
  // Removes the record (the owner has released everything by then).
  ~Registry();

  void add_loop(const LoopRecord &r);
  void add_mount(const std::string &target);
  void add_dm(const std::string &name);
  void add_dir(const std::string &dir);
  void add_blkro(const BlkRoRecord &r);
  // The state is kept when the process exits: a mount-ro session.
  void keep_as_session(const std::string &tree);
  [[nodiscard]] const RunRecord &record() const { return rec_; }

private:
  void save();
  std::string dir_;
  std::string file_;
  RunRecord rec_;
  bool keep_ = false;
};

// Tears down every record in DIR whose process is gone and which is not a
// session: unmounts, removes its device-mapper devices, detaches loop
// devices still bound to the same backing file and offset, restores read-only flags, removes
// directories.
CleanupReport reap_stale_runs(const std::string &dir = kRunDir);

// The session whose tree is TREE, if any.
std::optional<RunRecord> find_session(const std::string &tree, const std::string &dir = kRunDir);

// Releases everything REC lists (reverse order) and deletes its file.
CleanupReport tear_down(const RunRecord &rec, const std::string &dir = kRunDir);

// Start time of process PID (0 when it does not exist).
std::uint64_t process_start_time(int pid);

} // namespace kvmr::volume
