// Target failures (see target_failure.hpp).
#include "rescue/run/target_failure.hpp"

#include "rescue/scan/host_path.hpp"

#include <algorithm>
#include <cerrno>

namespace kvmr::run {

bool is_target_failure(const SysError &e, const std::string &target_root) {
  if (target_root.empty()) {
    return false;
  }
  if (!scan::is_under(e.path(), target_root)) {
    return false;
  }
  switch (e.error_code()) {
  case EIO:
  case EROFS:
  case ENODEV:
  case ENXIO:
  case ENOSPC:
  case EDQUOT:
  case ESTALE:
  case ENOTCONN:
  case ESHUTDOWN: return true;
  default: return false;
  }
}

std::string target_failure_advice(int error_code) {
  if (error_code == ENOSPC || error_code == EDQUOT) {
    return "the target is full: free space on it or choose a larger one, then rerun the "
           "same command; what was copied and verified is kept";
  }
  return "the target stopped taking writes (unplugged, failing, or its filesystem shut "
         "down: see `dmesg`); what was copied and verified before is complete on it. Check "
         "the disk and its cable, then rerun the same command: it resumes";
}

std::string target_error_text(const SysError &e, const std::string &target_root,
                              const std::string &shown_as) {
  if (shown_as.empty() || target_root.empty() || !scan::is_under(e.path(), target_root)) {
    return e.what();
  }
  std::string rel = e.path().substr(std::min(e.path().size(), target_root.size()));
  while (!rel.empty() && rel.front() == '/') {
    rel.erase(0, 1);
  }
  return (rel.empty() ? "the root" : rel) + " on " + shown_as + ": " + e.reason();
}

} // namespace kvmr::run
