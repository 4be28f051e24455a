// kvmr-copy-bench: copies every regular file under SRC_DIR to the same
// relative path under DST_DIR with the copy engine (sparse, hashed,
// verified, metadata kept), for scripts/bench-copy. Prints one line of
// totals: copy and verify seconds, bytes read, bytes allocated.
//   kvmr-copy-bench [--sha256] [--buffered-read] [--buffered-write] [--buffered-verify]
//                   [--verify-after] [--source-rate MB/s] SRC_DIR DST_DIR
//   kvmr-copy-bench [--source-rate MB/s] --remote ssh://USER@HOST:PORT/DIR
//                   (--host-key SHA256:... | --known-hosts FILE) --identity KEY
//                   [--run-dir DIR] SRC_DIR
// The options set CopyOptions::hash, direct_read, direct_write,
// direct_verify and overlap_verify, to compare the ways of reading,
// writing and verifying;
// --source-rate reads the source no faster than that (as --max-rate does),
// standing in for an old disk slower than the new one.
// --remote copies to DIR on another host as `copy --target ssh://` does
// (rescue/flow/copy_flow.cpp, tune_for_remote): one SSH control master
// (remote::SshLink), DIR mounted with sshfs over it (remote::RemoteTarget),
// sha256, ordinary writes, verification by the remote's sha256sum. Its
// allocated bytes are the remote's (stat there). RUN_DIR holds the link's
// private directory and the mount point (default: /tmp/kvmr-copy-bench).
#include "rescue/copy/copy_item.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "rescue/remote/remote_target.hpp"
#include "rescue/remote/ssh_link.hpp"
#include "rescue/remote/ssh_url.hpp"
#include "rescue/run/throttle.hpp"

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void on_signal(int /*sig*/) {
  g_cancel.store(true);
}

struct BenchArgs {
  kvmr::copy::CopyOptions opt;
  std::uint64_t rate = 0; // bytes/s; 0: as fast as it goes
  std::string remote;     // ssh://...; empty: DST_DIR
  kvmr::remote::HostKeyCheck host_key;
  std::string identity;
  std::string run_dir = (fs::temp_directory_path() / "kvmr-copy-bench").string();
  std::vector<std::string> dirs;
};

struct Totals {
  double copy_s = 0;
  double verify_s = 0;
  std::uint64_t read = 0;
  std::uint64_t allocated = 0;
  std::uint64_t apparent = 0;
};

// The allocated bytes of a copied file (its path under the target).
using AllocatedOf =
    std::function<std::uint64_t(const std::string &path, const kvmr::copy::CopyResult &r)>;

constexpr const char *kUsage =
    "usage: kvmr-copy-bench [--sha256] [--buffered-read] [--buffered-write] "
    "[--buffered-verify] [--verify-after] [--source-rate MB/s] SRC_DIR DST_DIR\n"
    "       kvmr-copy-bench [--source-rate MB/s] --remote ssh://USER@HOST:PORT/DIR "
    "(--host-key SHA256:... | --known-hosts FILE) --identity KEY [--run-dir DIR] SRC_DIR\n";

// An option with a value: stores it and drops both words.
bool take_value(std::vector<std::string> &args, const char *name, std::string &into) {
  if (args.front() != name || args.size() < 2) {
    return false;
  }
  into = args[1];
  args.erase(args.begin());
  return true;
}

bool take_option(std::vector<std::string> &args, BenchArgs &b) {
  const std::string &a = args.front();
  std::string rate;
  if (a == "--sha256") {
    b.opt.hash = kvmr::copy::HashKind::sha256;
  } else if (a == "--buffered-read") {
    b.opt.direct_read = false;
  } else if (a == "--buffered-write") {
    b.opt.direct_write = false;
  } else if (a == "--buffered-verify") {
    b.opt.direct_verify = false;
  } else if (a == "--verify-after") {
    b.opt.overlap_verify = false;
  } else if (take_value(args, "--source-rate", rate)) {
    b.rate = std::stoull(rate) * 1000 * 1000;
  } else if (!take_value(args, "--remote", b.remote) &&
             !take_value(args, "--host-key", b.host_key.fingerprint) &&
             !take_value(args, "--known-hosts", b.host_key.known_hosts) &&
             !take_value(args, "--identity", b.identity) &&
             !take_value(args, "--run-dir", b.run_dir)) {
    return false;
  }
  args.erase(args.begin());
  return true;
}

std::optional<BenchArgs> parse_args(std::vector<std::string> args) {
  BenchArgs b;
  while (!args.empty() && args.front().starts_with("--")) {
    if (!take_option(args, b)) {
      return std::nullopt;
    }
  }
  b.dirs = std::move(args);
  if (b.dirs.size() != (b.remote.empty() ? 2U : 1U)) {
    return std::nullopt;
  }
  return b;
}

kvmr::copy::CopyResult copy_file(const fs::path &from, const fs::path &to, const BenchArgs &b,
                                 kvmr::copy::CopyOptions opt) {
  kvmr::io::FileByteSource file(from.string());
  std::optional<kvmr::run::ThrottledByteSource> slow;
  if (b.rate != 0) {
    slow.emplace(file, b.rate);
  }
  kvmr::io::ByteSource &src = slow ? static_cast<kvmr::io::ByteSource &>(*slow) : file;
  opt.metadata_from = from.string();
  return kvmr::copy::copy_item(src, to.string(), opt, nullptr);
}

Totals copy_tree(const fs::path &src_dir, const fs::path &dst_dir, const BenchArgs &b,
                 const kvmr::copy::CopyOptions &opt, const AllocatedOf &allocated_of) {
  Totals t;
  for (const auto &entry : fs::recursive_directory_iterator(src_dir)) {
    const auto rel = fs::relative(entry.path(), src_dir);
    if (entry.is_directory()) {
      fs::create_directories(dst_dir / rel);
      continue;
    }
    if (!entry.is_regular_file()) {
      continue;
    }
    const auto r = copy_file(entry.path(), dst_dir / rel, b, opt);
    t.copy_s += r.copy_seconds;
    t.verify_s += r.verify_seconds;
    t.read += r.bytes_read;
    t.allocated += allocated_of ? allocated_of((dst_dir / rel).string(), r) : r.allocated_bytes;
    t.apparent += r.size;
    (void)std::fputs(
        fmt::format("{} {} {}\n", rel.string(), kvmr::copy::hash_kind_name(r.hash_kind), r.hash)
            .c_str(),
        stderr);
  }
  return t;
}

// As rescue/flow/copy_flow.cpp's tune_for_remote sets a copy up.
Totals copy_to_remote(const BenchArgs &b) {
  using namespace kvmr::remote;
  const SshUrl url = parse_ssh_url(b.remote);
  if (url.dir.empty()) {
    throw kvmr::InputError(fmt::format("{}: name the remote directory", b.remote));
  }
  SshLink link(url, b.host_key, b.identity, b.run_dir);
  RemoteTarget target(link, url.dir, b.run_dir);
  kvmr::copy::CopyOptions opt = b.opt;
  opt.hash = kvmr::copy::HashKind::sha256;
  opt.direct_write = false;
  opt.target_hasher = [&target](const std::string &path, std::uint64_t chunk_size,
                                std::size_t chunks) {
    return target.hash_on_remote(path, chunk_size, chunks);
  };
  return copy_tree(b.dirs[0], target.root(), b, opt,
                   [&target](const std::string &path, const kvmr::copy::CopyResult & /*r*/) {
                     return target.allocated_on_remote(path);
                   });
}

} // namespace

int main(int argc, char **argv) {
  auto b = parse_args(std::vector<std::string>(argv + 1, argv + argc));
  if (!b) {
    (void)std::fputs(kUsage, stderr);
    return 2;
  }
  // Ctrl-C stops the copy, so that the sshfs mount and the SSH link end.
  (void)std::signal(SIGINT, on_signal);
  (void)std::signal(SIGTERM, on_signal);
  b->opt.cancel = &g_cancel;
  Totals t;
  try {
    t = b->remote.empty() ? copy_tree(b->dirs[0], b->dirs[1], *b, b->opt, nullptr)
                          : copy_to_remote(*b);
  } catch (const std::exception &e) {
    (void)std::fputs(fmt::format("kvmr-copy-bench: {}\n", e.what()).c_str(), stderr);
    return g_cancel.load() ? 130 : 1;
  }
  (void)std::fputs(fmt::format("copy_s={:.3f} verify_s={:.3f} read={} allocated={} apparent={}\n",
                               t.copy_s, t.verify_s, t.read, t.allocated, t.apparent)
                       .c_str(),
                   stdout);
  return 0;
}
