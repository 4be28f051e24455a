// What a copied file keeps of its source besides the bytes: mode, owner,
// access and modification times, extended attributes (security.selinux,
// user.*). Read from the source path without opening it for writing.
#pragma once

#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

namespace kvmr::copy {

struct FileMetadata {
  mode_t mode = 0600;
  uid_t uid = 0;
  gid_t gid = 0;
  struct timespec atime {};
  struct timespec mtime {};
  std::vector<std::pair<std::string, std::string>> xattrs; // name, value
};

// Reads PATH's metadata (lstat, llistxattr/lgetxattr). Throws SysError
// naming PATH; a filesystem without xattrs gives none.
FileMetadata read_metadata(const std::string &path);

// Applies META to the open file FD (PATH for messages): xattrs, owner,
// mode, then the times (last, so nothing after changes them). Returns the
// names of xattrs the target's filesystem does not support (not applied).
// Throws SysError naming PATH.
std::vector<std::string> apply_metadata(const FileMetadata &meta, int fd, const std::string &path);

} // namespace kvmr::copy
