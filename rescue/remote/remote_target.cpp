// The network target mounted with sshfs (see remote_target.hpp).
#include "rescue/remote/remote_target.hpp"

#include "rescue/remote/remote_facts.hpp"
#include "rescue/volume/mount.hpp"
#include "rescue/volume/registry.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace kvmr::remote {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr seconds kMountTimeout{60};

constexpr const char *kMakeRootScript = R"SH(
mkdir -p -m 0755 -- "$1"
)SH";

// The sftp-server a non-root user runs through sudo (EL, Debian, Arch).
constexpr const char *kSftpServerScript = R"SH(
for p in /usr/libexec/openssh/sftp-server /usr/lib/openssh/sftp-server /usr/lib/ssh/sftp-server; do
  if [ -x "$p" ]; then echo "$p"; exit 0; fi
done
exit 1
)SH";

// $1 file, $2 chunk size, $3 chunks: the whole file's sha256, then each
// chunk's, one per line. With a Python there (EL7's yum needs python2;
// EL8+ has platform-python), its hashlib, in one pass: the chunks that
// lie in a hole (SEEK_DATA) are zeros and not read, and their hash is
// that of zeros; coreutils' sha256sum, with a dd per chunk, otherwise
// (also when the Python fails). scripts/bench-copy: 4.6 GiB apparent,
// 382 MiB of data, verified in ~5 s instead of ~80 s.
constexpr const char *kHashScript = R"SH(
f=$1; cs=$2; n=$3
[ -f "$f" ] || { echo "$f: no such file" >&2; exit 2; }
py='
import hashlib, os, sys
f, cs, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(f, os.O_RDONLY)
size = os.fstat(fd).st_size
zeros = b"\0" * cs
def data_from(off):
    try:
        return os.lseek(fd, off, 3)
    except OSError:
        return size
def read_at(off, ln):
    os.lseek(fd, off, 0)
    got = []
    while ln > 0:
        b = os.read(fd, ln)
        if not b:
            raise IOError("%s: shorter than %d bytes" % (f, off + ln))
        got.append(b)
        ln -= len(b)
    return b"".join(got)
whole = hashlib.sha256()
zero_hex = {}
lines = []
data = data_from(0)
for i in range(n):
    off = i * cs
    ln = max(0, min(cs, size - off))
    if data < off:
        data = data_from(off)
    if data >= off + ln:
        b = zeros[:ln]
        if ln not in zero_hex:
            zero_hex[ln] = hashlib.sha256(b).hexdigest()
        lines.append(zero_hex[ln])
    else:
        b = read_at(off, ln)
        lines.append(hashlib.sha256(b).hexdigest())
    whole.update(b)
rest = size - n * cs
while rest > 0:
    b = read_at(size - rest, min(cs, rest))
    whole.update(b)
    rest -= len(b)
sys.stdout.write(whole.hexdigest() + "\n" + "".join(h + "\n" for h in lines))
'
for p in python3 python2 python /usr/libexec/platform-python; do
  if command -v "$p" >/dev/null 2>&1; then
    "$p" -c "$py" "$f" "$cs" "$n" && exit 0
    break
  fi
done
sha256sum < "$f" | cut -c1-64
i=0
while [ "$i" -lt "$n" ]; do
  dd if="$f" bs="$cs" skip="$i" count=1 2>/dev/null | sha256sum | cut -c1-64
  i=$((i+1))
done
)SH";

constexpr const char *kBlocksScript = R"SH(
stat -c '%b %B' -- "$1"
)SH";

// sshfs in the foreground, as this process's child in a process group of
// its own (Ctrl-C on the terminal reaches kvm-rescue, which stops at a
// clean point, not sshfs), its messages in LOG.
pid_t spawn_sshfs(const std::vector<std::string> &argv, const std::string &log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  posix_spawnattr_setpgroup(&at, 0);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
  std::vector<char *> args;
  args.reserve(argv.size() + 1);
  for (const auto &a : argv) {
    args.push_back(const_cast<char *>(a.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int err = ::posix_spawnp(&pid, "sshfs", &fa, &at, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (err != 0) {
    throw SysError("sshfs", "start", err);
  }
  return pid;
}

std::string text_of(const std::string &path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for PID to end, up to TIMEOUT; true when it did.
bool reaped(pid_t pid, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= end) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

} // namespace

struct RemoteTarget::Impl {
  explicit Impl(const std::string &run_dir) : registry(run_dir) {}
  Impl(const Impl &) = delete;
  Impl &operator=(const Impl &) = delete;
  Impl(Impl &&) = delete;
  Impl &operator=(Impl &&) = delete;
  // Unmounted, then sshfs (which ends once unmounted) waited for, so that
  // nothing of the run is left behind it.
  ~Impl() {
    if (!root.empty()) {
      volume::unmount_if_mounted(root);
    }
    if (sshfs > 0 && !reaped(sshfs, std::chrono::seconds(10))) {
      ::kill(sshfs, SIGKILL);
      reaped(sshfs, std::chrono::seconds(5));
    }
    if (guard_mounted) {
      volume::unmount_if_mounted(dir->path());
    }
  }
  volume::Registry registry;
  std::unique_ptr<volume::TempDir> dir; // the read-only guard tmpfs
  bool guard_mounted = false;
  std::string root; // DIR/m: sshfs's mount point
  pid_t sshfs = -1;
};

namespace {

// sshfs unmounts its mount point when its connection drops; whatever the
// copy writes after that must fail, not land in this machine's memory. So
// the mount point lies in a tiny tmpfs of its own, made read-only: without
// sshfs over it, every write there is EROFS.
void mount_guard(RemoteTarget::Impl &impl) {
  const std::string &dir = impl.dir->path();
  impl.registry.add_mount(dir);
  constexpr unsigned long kFlags = MS_NODEV | MS_NOSUID | MS_NOEXEC;
  if (::mount("kvmr-remote", dir.c_str(), "tmpfs", kFlags, "size=64k,mode=0700") != 0) {
    throw SysError(dir, "mount a tmpfs for the network target's mount point", errno);
  }
  impl.guard_mounted = true;
  impl.root = dir + "/m";
  if (::mkdir(impl.root.c_str(), 0700) != 0) {
    throw SysError(impl.root, "mkdir", errno);
  }
  if (::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | kFlags, nullptr) != 0) {
    throw SysError(dir, "make the mount point's tmpfs read-only", errno);
  }
  impl.registry.add_mount(impl.root);
}

} // namespace

RemoteTarget::RemoteTarget(SshLink &link, std::string remote_root, const std::string &run_dir)
    : link_(link), remote_root_(std::move(remote_root)) {
  volume::reap_stale_runs(run_dir);
  link_.run_checked("creating " + remote_root_, kMakeRootScript, {remote_root_});
  impl_ = std::make_unique<Impl>(run_dir);
  impl_->dir = std::make_unique<volume::TempDir>(run_dir, "remote-");
  impl_->registry.add_dir(impl_->dir->path());
  mount_guard(*impl_);
  std::vector<std::string> argv{"sshfs", "-f",           "-o", "ssh_command=" + link_.ssh_command(),
                                "-o",    "dir_cache=no", "-o", "max_conns=1"};
  if (link_.url().user != "root") {
    const std::string server = link_.run_checked("finding sftp-server", kSftpServerScript, {});
    argv.insert(argv.end(),
                {"-o", "sftp_server=/usr/bin/sudo -n " + server.substr(0, server.find('\n'))});
  }
  argv.push_back(SshLink::alias() + ":" + remote_root_);
  argv.push_back(impl_->root);
  const std::string log = link_.private_dir() + "/sshfs.log";
  impl_->sshfs = spawn_sshfs(argv, log);
  wait_for_mount(log);
}

void RemoteTarget::wait_for_mount(const std::string &log) {
  const auto end = std::chrono::steady_clock::now() + kMountTimeout;
  while (!volume::is_mount_point(impl_->root)) {
    const bool ended = reaped(impl_->sshfs, std::chrono::milliseconds(0));
    if (ended || std::chrono::steady_clock::now() >= end) {
      if (!ended) {
        ::kill(impl_->sshfs, SIGKILL);
        reaped(impl_->sshfs, std::chrono::seconds(5));
      }
      impl_->sshfs = -1;
      std::string why = text_of(log);
      throw RemoteError(
          fmt::format("sshfs could not mount {} of {}: {}", remote_root_, link_.shown(),
                      why.empty() ? std::string("it did not answer in time") : why.substr(0, 400)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RemoteTarget::~RemoteTarget() = default;

const std::string &RemoteTarget::root() const {
  return impl_->root;
}

std::string RemoteTarget::remote_path(const std::string &path) const {
  const std::string rel = std::filesystem::path(path).lexically_relative(root()).string();
  if (rel.empty() || rel.starts_with("..")) {
    throw InputError(fmt::format("{} is not under the network target's mount {}", path, root()));
  }
  return remote_root_ + "/" + rel;
}

copy::TargetHashes RemoteTarget::hash_on_remote(const std::string &path, std::uint64_t chunk_size,
                                                std::size_t chunks) {
  const std::string where = remote_path(path);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  // Generous: the remote reads the file twice, at 20 MB/s at the least.
  const auto timeout = seconds(120 + (ec ? 0 : static_cast<long>(size / (10U << 20U))));
  const std::string out =
      link_.run_checked("verifying " + where, kHashScript,
                        {where, std::to_string(chunk_size), std::to_string(chunks)}, timeout);
  copy::TargetHashes h;
  std::istringstream in(out);
  std::getline(in, h.whole);
  for (std::string line; std::getline(in, line);) {
    h.chunks.push_back(line);
  }
  return h;
}

const char *remote_hash_script() {
  return kHashScript;
}

std::string RemoteTarget::failure_hint() {
  constexpr std::uint64_t kFull = std::uint64_t{1} << 20U;
  try {
    const RemoteFacts f = read_remote_facts(link_, remote_root_);
    if (f.dir_free < kFull) {
      return fmt::format("the disk of {} on {} is full ({} bytes free): free space there, then "
                         "rerun the same command; what was copied and verified is kept",
                         remote_root_, link_.shown(), f.dir_free);
    }
    return fmt::format("the connection to {} or its sshfs mount gave out; rerun the same "
                       "command: it resumes, and what was copied and verified is kept",
                       link_.shown());
  } catch (const RemoteError &e) {
    return fmt::format("the connection to {} is lost ({}): check the network, then rerun the "
                       "same command: it resumes",
                       link_.shown(), e.what());
  }
}

std::uint64_t RemoteTarget::allocated_on_remote(const std::string &path) {
  const std::string out = link_.run_checked("stat", kBlocksScript, {remote_path(path)});
  std::istringstream in(out);
  std::uint64_t blocks = 0;
  std::uint64_t unit = 0;
  in >> blocks >> unit;
  return blocks * unit;
}

} // namespace kvmr::remote
