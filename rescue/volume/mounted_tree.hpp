// SourceTree over a directory holding the old host's tree as kernel
// mounts. Every path is resolved inside that directory (openat2 with
// RESOLVE_IN_ROOT), so an absolute symlink on the old disk, such as an
// autostart link to /etc/libvirt/qemu/web01.xml, never reaches the rescue
// system's own files. A path written loosely is tidied first ("//", "/./"
// and a trailing "/" collapsed, so a last name is never empty); ".." is
// left to openat2, which resolves it inside the tree after the links.
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/util/fd.hpp"

#include <cstdint>
#include <utility>

namespace kvmr::volume {

class MountedTree final : public io::SourceTree {
public:
  explicit MountedTree(std::string root_dir);

  std::optional<io::FileStat> lstat(const std::string &path) override;
  std::string read_file(const std::string &path, std::uint64_t max_bytes) override;
  std::string read_range(const std::string &path, std::uint64_t offset,
                         std::uint64_t length) override;
  std::vector<io::DirEntry> list(const std::string &dir) override;
  std::string readlink(const std::string &path) override;
  std::string sha256(const std::string &path) override;
  [[nodiscard]] std::string describe() const override;

  [[nodiscard]] const std::string &root_dir() const { return root_dir_; }

private:
  // Opens PATH (relative to the tree) with FLAGS, resolving inside the tree.
  [[nodiscard]] UniqueFd open_in(const std::string &path, int flags, bool follow_last = true) const;
  [[nodiscard]] std::pair<UniqueFd, std::uint64_t> open_regular(const std::string &path) const;

  std::string root_dir_;
  UniqueFd root_;
};

} // namespace kvmr::volume
