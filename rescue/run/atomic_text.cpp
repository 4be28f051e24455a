// Atomic report files (see atomic_text.hpp).
#include "rescue/run/atomic_text.hpp"

#include "rescue/copy/atomic_file.hpp"
#include "rescue/util/error.hpp"

#include <cerrno>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>

namespace kvmr::run {

void write_text_atomic(const std::string &path, std::string_view content, mode_t mode) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw SysError(parent.string(), "create directory", ec.value());
    }
  }
  copy::write_file_atomic(path, content, copy::Durability::synced);
  if (::chmod(path.c_str(), mode) != 0) {
    throw SysError(path, "chmod", errno);
  }
  copy::fsync_parent_dir(path);
}

} // namespace kvmr::run
