// When the target itself gives out during a copy: a disk unplugged or
// failing, a filesystem shut down or remounted read-only, no space left.
// Such an error stops the run at once (every further write would fail
// too) instead of being recorded against each remaining item.
#pragma once

#include "rescue/util/error.hpp"

#include <string>

namespace kvmr::run {

// True when E names a path at or under TARGET_ROOT and its errno says the
// filesystem or the device under it stopped taking writes (EIO, EROFS,
// ENODEV, ENXIO, ENOSPC, EDQUOT, ESTALE, ENOTCONN, ESHUTDOWN).
bool is_target_failure(const SysError &e, const std::string &target_root);

// What the person at the server reads when the target failed: what
// happened and what to do.
std::string target_failure_advice(int error_code);

// E's message for the person at the server. A prepared target is mounted
// in a private directory (TARGET_ROOT) that is gone when the run ends, so
// a path under it is named relative to the target as the user knows it,
// SHOWN_AS ("/dev/sdb's data partition"): "<relative path> on <SHOWN_AS>:
// <reason>". With SHOWN_AS empty (a directory target: its path is the
// user's own) or a path elsewhere, E's own message.
std::string target_error_text(const SysError &e, const std::string &target_root,
                              const std::string &shown_as);

} // namespace kvmr::run
