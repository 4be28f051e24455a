// A read-only view of the dead host's assembled filesystem tree, however it
// is reached: kernel mounts of read-only loop devices (MountedTree) or the
// libguestfs appliance (guestfs::GuestfsTree). Discovery (scan) reads the
// old host only through this interface. Paths are absolute paths as the old
// host saw them ("/etc/libvirt/qemu/web01.xml"); nothing here can write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::io {

enum class FileType { regular, directory, symlink, block_device, other };

struct FileStat {
  FileType type = FileType::other;
  std::uint64_t size = 0;      // apparent size in bytes
  std::uint64_t allocated = 0; // bytes allocated on disk
  std::uint32_t mode = 0;      // permission bits
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

struct DirEntry {
  std::string name;
  FileType type = FileType::other;
};

class SourceTree {
public:
  SourceTree() = default;
  SourceTree(const SourceTree &) = delete;
  SourceTree &operator=(const SourceTree &) = delete;
  SourceTree(SourceTree &&) = delete;
  SourceTree &operator=(SourceTree &&) = delete;
  virtual ~SourceTree() = default;

  // Does not follow a final symlink; nullopt when the path does not exist.
  virtual std::optional<FileStat> lstat(const std::string &path) = 0;
  // Whole file, refusing (InputError) files larger than MAX_BYTES.
  virtual std::string read_file(const std::string &path, std::uint64_t max_bytes) = 0;
  // Up to LENGTH bytes of a regular file from OFFSET (fewer at its end, none
  // past it): headers of large images, such as a qcow2's first cluster.
  virtual std::string read_range(const std::string &path, std::uint64_t offset,
                                 std::uint64_t length) = 0;
  // Entries without "." and "..", sorted by name.
  virtual std::vector<DirEntry> list(const std::string &dir) = 0;
  virtual std::string readlink(const std::string &path) = 0;
  // Lower-case hex SHA-256 of a regular file's content.
  virtual std::string sha256(const std::string &path) = 0;
  // Human description: "kernel mounts under /run/kvm-rescue/…", "libguestfs".
  [[nodiscard]] virtual std::string describe() const = 0;
};

} // namespace kvmr::io
