// Reading and applying file metadata (see file_metadata.hpp).
#include "rescue/copy/file_metadata.hpp"

#include "rescue/util/error.hpp"

#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace kvmr::copy {

namespace {

bool no_xattr_support(int err) {
  return err == ENOTSUP || err == ENOSYS;
}

} // namespace

FileMetadata read_metadata(const std::string &path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    throw SysError(path, "stat", errno);
  }
  FileMetadata m;
  m.mode = st.st_mode & 07777;
  m.uid = st.st_uid;
  m.gid = st.st_gid;
  m.atime = st.st_atim;
  m.mtime = st.st_mtim;

  const ssize_t list_len = ::llistxattr(path.c_str(), nullptr, 0);
  if (list_len < 0) {
    if (no_xattr_support(errno)) {
      return m;
    }
    throw SysError(path, "list xattrs", errno);
  }
  std::string names(static_cast<std::size_t>(list_len), '\0');
  const ssize_t got = ::llistxattr(path.c_str(), names.data(), names.size());
  if (got < 0) {
    throw SysError(path, "list xattrs", errno);
  }
  names.resize(static_cast<std::size_t>(got));
  std::size_t i = 0;
  while (i < names.size()) {
    const std::string name = names.c_str() + i;
    i += name.size() + 1;
    if (name.empty()) {
      continue;
    }
    const ssize_t vlen = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) {
      if (errno == ENODATA) {
        continue; // removed meanwhile
      }
      throw SysError(path, "read xattr " + name, errno);
    }
    std::string value(static_cast<std::size_t>(vlen), '\0');
    const ssize_t vgot = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (vgot < 0) {
      throw SysError(path, "read xattr " + name, errno);
    }
    value.resize(static_cast<std::size_t>(vgot));
    m.xattrs.emplace_back(name, std::move(value));
  }
  return m;
}

std::vector<std::string> apply_metadata(const FileMetadata &meta, int fd, const std::string &path) {
  std::vector<std::string> skipped;
  for (const auto &[name, value] : meta.xattrs) {
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0) {
      if (no_xattr_support(errno)) {
        skipped.push_back(name);
        continue;
      }
      throw SysError(path, "set xattr " + name, errno);
    }
  }
  if (::fchown(fd, meta.uid, meta.gid) != 0) {
    throw SysError(path, "chown to " + std::to_string(meta.uid) + ":" + std::to_string(meta.gid),
                   errno);
  }
  if (::fchmod(fd, meta.mode) != 0) {
    throw SysError(path, "chmod", errno);
  }
  const std::array<struct timespec, 2> times{meta.atime, meta.mtime};
  if (::futimens(fd, times.data()) != 0) {
    throw SysError(path, "set times", errno);
  }
  return skipped;
}

} // namespace kvmr::copy
