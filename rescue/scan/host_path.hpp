// Paths as the old host saw them ("/var/lib/libvirt/images/web01.img"),
// handled lexically: the old host's tree is read through a SourceTree, never
// through the rescue system's own filesystem, so std::filesystem's
// canonicalisation (which asks the running system) does not apply.
#pragma once

#include <string>
#include <string_view>

namespace kvmr::scan {

// "/a//b/./c/../d/" -> "/a/b/d"; ".." above the root stays at the root;
// a relative path stays relative ("a/../b" -> "b"). Empty -> ".".
std::string normalize(std::string_view path);

// The directory part: "/a/b/c.img" -> "/a/b", "/c.img" -> "/", "c.img" -> ".".
std::string dirname(std::string_view path);

// The last component: "/a/b/c.img" -> "c.img".
std::string basename(std::string_view path);

// REL resolved against DIR the way a kernel resolves a relative name:
// an absolute REL is taken as it is. The result is normalized.
std::string resolve(std::string_view dir, std::string_view rel);

// True when PATH (normalized, absolute) is DIR or below it.
bool is_under(std::string_view path, std::string_view dir);

} // namespace kvmr::scan
