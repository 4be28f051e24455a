// The network target while a copy runs: the SSH link, the remote root
// (created when missing) mounted with sshfs over that link in a private
// directory of this run (recorded in the registry, so a killed run's
// mount is released by the next; inside a read-only tmpfs, so that once
// sshfs is gone, a write there fails instead of landing in this machine's
// memory), and verification by the remote's own
// sha256sum (copy::TargetHasher), so no data travels back.
//
// sshfs writes at offsets over SFTP: only the data the copy writes
// travels, holes stay holes, and the copy engine's files (NAME.partial,
// its map and state, the rename once verified) are the directory
// target's, on the remote.
#pragma once

#include "rescue/copy/copy_item.hpp"
#include "rescue/remote/ssh_link.hpp"

#include <memory>
#include <string>

namespace kvmr::remote {

// The sh script hash_on_remote() runs there: $1 file, $2 chunk size, $3
// chunks; prints the whole file's sha256, then each chunk's, one per line
// (sha256sum, dd, cut: coreutils only).
const char *remote_hash_script();

class RemoteTarget {
public:
  // Creates REMOTE_ROOT on the host (mode 0755) and mounts it under
  // RUN_DIR. Throws RemoteError when sshfs cannot mount it.
  RemoteTarget(SshLink &link, std::string remote_root, const std::string &run_dir);
  RemoteTarget(const RemoteTarget &) = delete;
  RemoteTarget &operator=(const RemoteTarget &) = delete;
  RemoteTarget(RemoteTarget &&) = delete;
  RemoteTarget &operator=(RemoteTarget &&) = delete;
  ~RemoteTarget();

  // The mount point here, and the same directory on the remote.
  [[nodiscard]] const std::string &root() const;
  [[nodiscard]] const std::string &remote_root() const { return remote_root_; }
  // PATH under root() as the remote names it.
  [[nodiscard]] std::string remote_path(const std::string &path) const;
  // The remote's sha256sum of a file under root(), whole and per chunk.
  copy::TargetHashes hash_on_remote(const std::string &path, std::uint64_t chunk_size,
                                    std::size_t chunks);
  // The bytes the file under root() takes on the remote's disk (stat %b).
  std::uint64_t allocated_on_remote(const std::string &path);

  struct Impl;

  // Why the target gave out, in plain words, as far as the remote tells
  // (SFTP reports a full disk as a plain failure): its disk is full, the
  // connection is lost, or else the link or the mount gave out.
  std::string failure_hint();

private:
  void wait_for_mount(const std::string &log);

  SshLink &link_;
  std::string remote_root_;
  std::unique_ptr<Impl> impl_;
};

} // namespace kvmr::remote
