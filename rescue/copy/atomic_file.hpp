// Small files that must never be seen half-written (the mapfile, the
// resume state): written beside the target as a new NAME.tmp.XXXXXX
// (O_EXCL, mode 0600: a planted file or symlink is never written
// through), synced, renamed over NAME. And the directory sync that makes
// a rename durable.
#pragma once

#include <string>
#include <string_view>

namespace kvmr::copy {

enum class Durability {
  synced, // the content is on disk before the rename
  none,   // only atomic: after a crash PATH may be empty or old
};

// Replaces PATH with CONTENT atomically (tmp file, rename). Throws
// SysError naming PATH (or its tmp file).
void write_file_atomic(const std::string &path, std::string_view content,
                       Durability durability = Durability::synced);

// fsync()s the directory holding PATH, so a rename or create in it lasts.
void fsync_parent_dir(const std::string &path);

// Removes PATH if it exists; throws SysError on other failures.
void remove_if_exists(const std::string &path);

} // namespace kvmr::copy
