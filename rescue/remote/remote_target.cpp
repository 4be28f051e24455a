// The network target mounted with sshfs (see remote_target.hpp).
#include "rescue/remote/remote_target.hpp"

#include "rescue/volume/mount.hpp"
#include "rescue/volume/registry.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <sstream>

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

} // namespace

struct RemoteTarget::Impl {
  explicit Impl(const std::string &run_dir) : registry(run_dir) {}
  Impl(const Impl &) = delete;
  Impl &operator=(const Impl &) = delete;
  Impl(Impl &&) = delete;
  Impl &operator=(Impl &&) = delete;
  ~Impl() {
    if (mounted && dir) {
      volume::unmount_if_mounted(dir->path());
    }
  }
  volume::Registry registry;
  std::unique_ptr<volume::TempDir> dir;
  bool mounted = false;
};

RemoteTarget::RemoteTarget(SshLink &link, std::string remote_root, const std::string &run_dir)
    : link_(link), remote_root_(std::move(remote_root)) {
  volume::reap_stale_runs(run_dir);
  link_.run_checked("creating " + remote_root_, kMakeRootScript, {remote_root_});
  impl_ = std::make_unique<Impl>(run_dir);
  impl_->dir = std::make_unique<volume::TempDir>(run_dir, "remote-");
  impl_->registry.add_dir(impl_->dir->path());
  std::vector<std::string> argv{"sshfs",      "-o",           "ssh_command=" + link_.ssh_command(),
                                "-o",         "dir_cache=no", "-o",
                                "max_conns=1"};
  if (link_.url().user != "root") {
    const std::string server = link_.run_checked("finding sftp-server", kSftpServerScript, {});
    argv.insert(argv.end(),
                {"-o", "sftp_server=/usr/bin/sudo -n " + server.substr(0, server.find('\n'))});
  }
  argv.push_back(SshLink::alias() + ":" + remote_root_);
  argv.push_back(impl_->dir->path());
  impl_->registry.add_mount(impl_->dir->path());
  SystemCommandRunner runner;
  const CommandResult r = runner.run(argv, milliseconds(kMountTimeout));
  if (r.exit_code != 0) {
    volume::unmount_if_mounted(impl_->dir->path());
    throw RemoteError(fmt::format("sshfs could not mount {} of {}: {}", remote_root_, link_.shown(),
                                  r.not_found ? "sshfs is missing" : r.err.substr(0, 400)));
  }
  impl_->mounted = true;
}

RemoteTarget::~RemoteTarget() = default;

const std::string &RemoteTarget::root() const {
  return impl_->dir->path();
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

std::uint64_t RemoteTarget::allocated_on_remote(const std::string &path) {
  const std::string out = link_.run_checked("stat", kBlocksScript, {remote_path(path)});
  std::istringstream in(out);
  std::uint64_t blocks = 0;
  std::uint64_t unit = 0;
  in >> blocks >> unit;
  return blocks * unit;
}

} // namespace kvmr::remote
