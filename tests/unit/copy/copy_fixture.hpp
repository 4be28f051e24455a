// Helpers for the copy-engine tests: sparse source files made with real
// tools (truncate + dd at offsets), content and allocation checks, and a
// progress sink that records what it was given.
#pragma once

#include "rescue/copy/copy_item.hpp"

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace kvmr::test {

inline constexpr std::uint64_t KiB = 1024;
inline constexpr std::uint64_t MiB = 1024 * KiB;

struct DataRange {
  std::uint64_t offset;
  std::uint64_t length;
};

// A sparse file of SIZE bytes with random data at RANGES (holes elsewhere).
void make_sparse(const std::string &path, std::uint64_t size, const std::vector<DataRange> &ranges);
// Writes LENGTH zero bytes at OFFSET (allocated zeros inside data).
void write_zeros(const std::string &path, std::uint64_t offset, std::uint64_t length);

std::uint64_t allocated_bytes(const std::string &path);
bool exists(const std::string &path);
// `cmp` of the two files (exit 0).
bool same_content(const std::string &a, const std::string &b);
// xxh128sum's hex digest of PATH.
std::string xxh128_of(const std::string &path);
// The bytes [OFFSET, OFFSET+LENGTH) of PATH.
std::vector<std::byte> read_range(const std::string &path, std::uint64_t offset,
                                  std::uint64_t length);

// Whether any page of [OFFSET, OFFSET+LENGTH) of PATH is in the page
// cache (mincore; OFFSET a multiple of the page size).
bool cached(const std::string &path, std::uint64_t length, std::uint64_t offset = 0);
// Whether PATH is on tmpfs (which keeps pages that are dropped elsewhere).
bool on_tmpfs(const std::string &path);

// Options suited to small test files: 1 MiB chunks, fast saves.
copy::CopyOptions test_options();

// Unmounts DIR when it goes (which also frees the loop device of
// `mount -o loop`); nothing when DIR is not mounted.
class MountGuard {
public:
  explicit MountGuard(std::string dir) : dir_(std::move(dir)) {}
  MountGuard(const MountGuard &) = delete;
  MountGuard &operator=(const MountGuard &) = delete;
  MountGuard(MountGuard &&) = delete;
  MountGuard &operator=(MountGuard &&) = delete;
  ~MountGuard();

private:
  std::string dir_;
};

// True when this process can make the loop-mounted ext4 filesystems
// below (root, loop devices, mkfs.ext4); otherwise skips the test case
// (unit/skip.hpp) and returns false.
bool can_mount_ext4();

// An ext4 filesystem of SIZE_MIB MiB in DIR/NAME.img, mounted with a loop
// device at DIR/mnt; unmounted (freeing the loop device) when it goes.
class Ext4Mount {
public:
  Ext4Mount(const std::string &dir, unsigned size_mib, const std::string &name = "target");
  [[nodiscard]] const std::string &image() const { return image_; }
  [[nodiscard]] const std::string &dir() const { return mnt_; }

private:
  std::string image_;
  std::string mnt_;
  MountGuard guard_; // before the mount is tried: a failed one is undone too
};

class RecordingSink final : public copy::ProgressSink {
public:
  void on_progress(const copy::CopyProgress &p) noexcept override;
  std::function<void(const copy::CopyProgress &)> hook;
  std::vector<copy::CopyProgress> seen() const;

private:
  mutable std::mutex m_;
  std::vector<copy::CopyProgress> seen_;
};

} // namespace kvmr::test
