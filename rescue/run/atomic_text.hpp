// Reports and records on the target that must never look complete while
// half-written: NAME.tmp written, fdatasync'ed, renamed over NAME, the
// directory synced; then given MODE.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

namespace kvmr::run {

// Creates the parent directories as needed. Throws SysError naming PATH.
void write_text_atomic(const std::string &path, std::string_view content, mode_t mode = 0644);

} // namespace kvmr::run
