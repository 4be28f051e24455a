// Atomic small-file replacement and directory syncs (see atomic_file.hpp).
#include "rescue/copy/atomic_file.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace kvmr::copy {

namespace {

// A new file beside PATH that nobody else named: O_EXCL, so a planted file
// or symlink (a directory target is an existing filesystem) is never
// followed or reused.
UniqueFd create_unique_tmp(const std::string &path, std::string &tmp) {
  std::string name = path + ".tmp.XXXXXX";
  UniqueFd fd(::mkostemp(name.data(), O_CLOEXEC));
  if (!fd.valid()) {
    throw SysError(path + ".tmp", "create", errno);
  }
  tmp = std::move(name);
  return fd;
}

void write_all(int fd, std::string_view content, const std::string &name) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SysError(name, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

} // namespace

void write_file_atomic(const std::string &path, std::string_view content, Durability durability) {
  std::string tmp;
  UniqueFd fd = create_unique_tmp(path, tmp);
  try {
    write_all(fd.get(), content, tmp);
    if (durability == Durability::synced && ::fdatasync(fd.get()) != 0) {
      throw SysError(tmp, "fdatasync", errno);
    }
    fd.close(tmp);
    // rename() replaces a symlink at PATH itself, never what it points to.
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      throw SysError(path, "rename from " + tmp, errno);
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

void fsync_parent_dir(const std::string &path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  // (Built from the path, not assigned ".": GCC 12 -O2 warns falsely on that.)
  const std::string dir = parent.empty() ? std::string(1, '.') : parent.string();
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    throw SysError(dir, "open directory", errno);
  }
  if (::fsync(fd.get()) != 0) {
    throw SysError(dir, "fsync directory", errno);
  }
  fd.close(dir);
}

void remove_if_exists(const std::string &path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw SysError(path, "remove", errno);
  }
}

} // namespace kvmr::copy
