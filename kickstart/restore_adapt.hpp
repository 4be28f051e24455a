// The text of kickstart/restore_adapt.sh, the restore script's functions
// that fit each domain to the host it lands on (see that file). It is a
// real shell file so tests can source it; CMake embeds it here at build
// time (restore_adapt.cpp.in).
#pragma once

#include <string_view>

namespace kvmr::kickstart {

std::string_view restore_adapt_sh();

} // namespace kvmr::kickstart
