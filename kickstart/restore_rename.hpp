// The text of kickstart/restore_rename.sh, the restore script's functions
// for `--rename OLD NEW`: a rescued domain defined under a new name (and,
// where this host has its UUID, a new UUID) beside the host's own (see
// that file). A real shell file; CMake embeds it here at build time
// (restore_rename.cpp.in).
#pragma once

#include <string_view>

namespace kvmr::kickstart {

std::string_view restore_rename_sh();

} // namespace kvmr::kickstart
