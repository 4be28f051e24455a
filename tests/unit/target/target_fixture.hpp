// Helpers of the target tests: a work directory under the build tree,
// whether loop devices can be had, what is attached over or mounted from
// an image, and a small "source" disk image (GPT + XFS) to collide with.
#pragma once

#include "rescue/disk/model.hpp"
#include "unit/rescue/test_util.hpp" // sh_out

#include <string>

namespace kvmr::test {

// A private directory under the build tree (KVMR_BINARY_DIR/test-tmp),
// removed with everything in it at the end (after unmounting nothing: the
// tests themselves must leave nothing mounted).
class WorkDir {
public:
  WorkDir();
  WorkDir(const WorkDir &) = delete;
  WorkDir &operator=(const WorkDir &) = delete;
  WorkDir(WorkDir &&) = delete;
  WorkDir &operator=(WorkDir &&) = delete;
  ~WorkDir();
  [[nodiscard]] const std::string &path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

// True when this process may attach loop devices and mount (and has the
// tools the target tests run); otherwise skips the test case
// (unit/skip.hpp) and returns false.
bool loop_and_mount_or_skip();

// "losetup -j IMAGE" output plus the mountinfo lines naming DIR: what a
// run could have left behind.
std::string leftovers(const std::string &image, const std::string &dir);

// A 400 MiB sparse GPT image with one partition at 1 MiB holding an XFS
// with UUID kSourceXfsUuid: stands for the dead host's disk.
inline constexpr const char *kSourceXfsUuid = "5eed5eed-0000-4000-8000-000000000001";
void make_source_image(const std::string &image, const std::string &scratch);

disk::Disk probe(const std::string &path);

// A loop device over IMAGE (read-write, losetup) for the test's lifetime.
class TestLoop {
public:
  explicit TestLoop(const std::string &image);
  TestLoop(const TestLoop &) = delete;
  TestLoop &operator=(const TestLoop &) = delete;
  TestLoop(TestLoop &&) = delete;
  TestLoop &operator=(TestLoop &&) = delete;
  ~TestLoop();
  [[nodiscard]] const std::string &dev() const { return dev_; }

private:
  std::string dev_;
};

// A tmpfs of SIZE ("64M") mounted on DIR for the test's lifetime.
class TmpfsMount {
public:
  TmpfsMount(std::string dir, const std::string &size);
  TmpfsMount(const TmpfsMount &) = delete;
  TmpfsMount &operator=(const TmpfsMount &) = delete;
  TmpfsMount(TmpfsMount &&) = delete;
  TmpfsMount &operator=(TmpfsMount &&) = delete;
  ~TmpfsMount();

private:
  std::string dir_;
};

// SHA-256 over PATH's size and its data extents (offset, length, bytes;
// SEEK_DATA/SEEK_HOLE), so a large sparse image is hashed without reading
// its holes. Any write (even zeros into a hole, or a punched hole) changes it.
std::string sparse_digest(const std::string &path);

} // namespace kvmr::test
