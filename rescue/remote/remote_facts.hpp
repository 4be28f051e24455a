// What the network target's host says about itself and about the
// directory the copy would go to, read with its own tools over the SSH
// link (cat, hostname, virsh, xmllint, df, findmnt: an EL7 minimal KVM
// host has them), and why such a host is refused.
#pragma once

#include "rescue/remote/ssh_link.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::remote {

struct RemoteFacts {
  std::string machine_id;          // /etc/machine-id
  std::string hostname;            // for messages
  bool has_virsh = false;          // `virsh` is installed
  bool libvirt_answers = false;    // `virsh -c qemu:///system uri` works
  std::string default_pool;        // the default pool's target path ("" none)
  std::uint64_t mem_available = 0; // bytes (MemAvailable)
  // The directory (or, when it does not exist yet, its nearest parent):
  std::string dir;
  bool dir_exists = false;
  std::uint64_t dir_free = 0; // bytes free for root (df)
  std::string dir_fs_uuid;    // the filesystem's UUID (findmnt); "" unknown
  std::string dir_fs_type;
  std::string dir_device;
};

// The host's own facts; DIR empty: the default pool's path, else
// /var/lib/libvirt/images. Throws RemoteError when the host cannot answer.
RemoteFacts read_remote_facts(SshLink &link, const std::string &dir);

// Parses the key=value lines read_remote_facts' script prints (for tests).
RemoteFacts parse_remote_facts(const std::string &text);

// The directory a run goes to when the user named none.
std::string default_dir(const RemoteFacts &f);

// Why the host is no target, in plain words (empty: it may be used):
// the same machine as this one (LOCAL_MACHINE_ID), its directory on a
// filesystem with one of SOURCE_UUIDS (a source disk), no libvirt, less
// free space than BYTES_NEEDED (0: not checked, a resumed run).
std::vector<std::string> remote_refusals(const RemoteFacts &f, const std::string &shown,
                                         const std::string &local_machine_id,
                                         const std::vector<std::string> &source_uuids,
                                         std::uint64_t bytes_needed);

// This machine's /etc/machine-id ("" when it has none).
std::string local_machine_id();

// Of RELS (paths relative to ROOT on the remote), those that exist there
// (as a file, directory or link). Throws RemoteError.
std::vector<std::string> existing_on_remote(SshLink &link, const std::string &root,
                                            const std::vector<std::string> &rels);

// The text of the remote file PATH, or "" when it does not exist.
std::string read_remote_file(SshLink &link, const std::string &path);

} // namespace kvmr::remote
