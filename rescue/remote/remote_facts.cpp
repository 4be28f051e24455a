// Reading the network target's host (see remote_facts.hpp).
#include "rescue/remote/remote_facts.hpp"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace kvmr::remote {
namespace {

// Prints key=value lines. $1: the directory. Only what an EL7 minimal
// host with libvirt has: sh, coreutils, util-linux, sed, virsh, xmllint.
constexpr const char *kFactsScript = R"SH(
d=$1
printf 'machine_id=%s\n' "$(cat /etc/machine-id 2>/dev/null)"
printf 'hostname=%s\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null)"
if command -v virsh >/dev/null 2>&1; then
  echo has_virsh=1
  if virsh -c qemu:///system uri >/dev/null 2>&1; then
    echo libvirt_answers=1
    p=$(virsh -c qemu:///system pool-dumpxml default 2>/dev/null |
        xmllint --xpath 'string(/pool/target/path)' - 2>/dev/null)
    printf 'default_pool=%s\n' "$p"
  fi
fi
printf 'mem_available_kib=%s\n' "$(sed -n 's/^MemAvailable: *\([0-9]*\) kB$/\1/p' /proc/meminfo)"
if [ -z "$d" ]; then
  d=${p:-/var/lib/libvirt/images}
fi
printf 'dir=%s\n' "$d"
[ -d "$d" ] && echo dir_exists=1
t=$d
while [ ! -e "$t" ] && [ "$t" != / ]; do t=$(dirname -- "$t"); done
printf 'dir_free_kib=%s\n' "$(df -Pk -- "$t" | sed -n '2p' | tr -s ' ' | cut -d' ' -f4)"
printf 'dir_fs_uuid=%s\n' "$(findmnt -n -o UUID -T "$t" 2>/dev/null)"
printf 'dir_fs_type=%s\n' "$(findmnt -n -o FSTYPE -T "$t" 2>/dev/null)"
printf 'dir_device=%s\n' "$(findmnt -n -o SOURCE -T "$t" 2>/dev/null)"
)SH";

// $1: the root; then relative paths. Prints each that exists, NUL-ended.
constexpr const char *kExistingScript = R"SH(
r=$1
shift
for p in "$@"; do
  if [ -e "$r/$p" ] || [ -L "$r/$p" ]; then printf '%s\0' "$p"; fi
done
)SH";

constexpr const char *kReadScript = R"SH(
if [ -e "$1" ]; then cat -- "$1"; fi
)SH";

std::uint64_t number(const std::string &v) {
  std::uint64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

} // namespace

RemoteFacts parse_remote_facts(const std::string &text) {
  std::map<std::string, std::string> kv;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) {
      kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  RemoteFacts f;
  f.machine_id = kv["machine_id"];
  f.hostname = kv["hostname"];
  f.has_virsh = kv["has_virsh"] == "1";
  f.libvirt_answers = kv["libvirt_answers"] == "1";
  f.default_pool = kv["default_pool"];
  f.mem_available = number(kv["mem_available_kib"]) * 1024U;
  f.dir = kv["dir"];
  f.dir_exists = kv["dir_exists"] == "1";
  f.dir_free = number(kv["dir_free_kib"]) * 1024U;
  f.dir_fs_uuid = kv["dir_fs_uuid"];
  f.dir_fs_type = kv["dir_fs_type"];
  f.dir_device = kv["dir_device"];
  return f;
}

RemoteFacts read_remote_facts(SshLink &link, const std::string &dir) {
  return parse_remote_facts(link.run_checked("reading the host's facts", kFactsScript, {dir}));
}

std::string default_dir(const RemoteFacts &f) {
  return f.default_pool.empty() ? std::string("/var/lib/libvirt/images") : f.default_pool;
}

std::vector<std::string> remote_refusals(const RemoteFacts &f, const std::string &shown,
                                         const std::string &local_machine_id,
                                         const std::vector<std::string> &source_uuids,
                                         std::uint64_t bytes_needed) {
  std::vector<std::string> why;
  if (!f.machine_id.empty() && f.machine_id == local_machine_id) {
    why.push_back(fmt::format("{} is this machine (its /etc/machine-id is ours, {}): the copy "
                              "would land on the rescue system itself",
                              shown, f.machine_id));
  }
  for (const auto &u : source_uuids) {
    if (!f.dir_fs_uuid.empty() && u == f.dir_fs_uuid) {
      why.push_back(fmt::format("{} on {} is on the filesystem {} ({}), which is on a source "
                                "disk: the old host's disk is never written",
                                f.dir, shown, f.dir_fs_uuid, f.dir_device));
    }
  }
  if (!f.has_virsh) {
    why.push_back(fmt::format("{} has no libvirt (virsh is not installed): install libvirt and "
                              "qemu-kvm there first",
                              shown));
  } else if (!f.libvirt_answers) {
    why.push_back(fmt::format("libvirt on {} does not answer (virsh -c qemu:///system): start "
                              "libvirtd there first",
                              shown));
  }
  if (bytes_needed != 0 && f.dir_free < bytes_needed) {
    why.push_back(fmt::format("{} on {} has {} bytes free, the copy needs {}", f.dir, shown,
                              f.dir_free, bytes_needed));
  }
  return why;
}

std::string local_machine_id() {
  std::ifstream in("/etc/machine-id");
  std::string id;
  std::getline(in, id);
  return id;
}

std::vector<std::string> existing_on_remote(SshLink &link, const std::string &root,
                                            const std::vector<std::string> &rels) {
  std::vector<std::string> args{root};
  args.insert(args.end(), rels.begin(), rels.end());
  const std::string out = link.run_checked("looking for files in the way", kExistingScript, args);
  std::vector<std::string> found;
  std::string::size_type start = 0;
  for (auto nul = out.find('\0'); nul != std::string::npos; nul = out.find('\0', start)) {
    found.push_back(out.substr(start, nul - start));
    start = nul + 1;
  }
  return found;
}

std::string read_remote_file(SshLink &link, const std::string &path) {
  return link.run_checked("reading " + path, kReadScript, {path});
}

} // namespace kvmr::remote
