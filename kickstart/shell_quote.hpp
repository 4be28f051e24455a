// The one function that turns a value that came from a disk (a VM name, a
// hostname, a path) into a single shell word. Every generated script
// (kickstart %post, restore script) goes through it.
#pragma once

#include <string>
#include <string_view>

namespace kvmr::kickstart {

// POSIX single-quoting: 'it'\''s' for it's. Safe for any byte sequence
// except NUL, which a shell word cannot hold (throws std::invalid_argument).
std::string shell_quote(std::string_view value);

} // namespace kvmr::kickstart
