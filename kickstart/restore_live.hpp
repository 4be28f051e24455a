// The text of kickstart/restore_live.sh, the restore script's functions
// that keep it from redefining what a live KVM host already has (see that
// file). A real shell file; CMake embeds it here at build time
// (restore_live.cpp.in).
#pragma once

#include <string_view>

namespace kvmr::kickstart {

std::string_view restore_live_sh();

} // namespace kvmr::kickstart
