// Atomic small-file replacement and directory syncs (see atomic_file.hpp).
#include "rescue/copy/atomic_file.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace kvmr::copy {

void write_file_atomic(const std::string &path, std::string_view content, Durability durability) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    throw SysError(tmp, "create", errno);
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SysError(tmp, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (durability == Durability::synced && ::fdatasync(fd.get()) != 0) {
    throw SysError(tmp, "fdatasync", errno);
  }
  fd.close(tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    throw SysError(path, "rename from " + tmp, errno);
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
