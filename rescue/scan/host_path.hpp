// Paths as the old host saw them ("/var/lib/libvirt/images/web01.img"),
// handled lexically: the old host's tree is read through a SourceTree, never
// through the rescue system's own filesystem, so std::filesystem's
// canonicalisation (which asks the running system) does not apply.
// resolve_in_root is the one exception to "lexical": it walks the tree,
// following every symlink inside the old root.
#pragma once

#include "rescue/io/source_tree.hpp"

#include <optional>
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

// Where PATH leads on the old host: every component looked up in TREE, each
// symlink followed inside the old root (an absolute target starts again at
// the old root, never at the rescue system's own /; ".." stops at the old
// root and is taken after the link before it is followed, as the kernel
// does). `path` holds no symlink, ".", ".." or repeated "/", so it names
// the same file on either backend and under a kernel mount of the tree.
struct InRootPath {
  std::string path;                 // resolved; as far as it got when missing
  std::optional<io::FileStat> stat; // of `path`; unset when it does not exist
  std::string problem;              // why it is missing, naming PATH
};
InRootPath resolve_in_root(io::SourceTree &tree, std::string_view path);

} // namespace kvmr::scan
