// Copy-engine test helpers (see copy_fixture.hpp).
#include "unit/copy/copy_fixture.hpp"

#include "rescue/util/fd.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace kvmr::test {

void make_sparse(const std::string &path, std::uint64_t size,
                 const std::vector<DataRange> &ranges) {
  sh("rm -f '" + path + "' && truncate -s " + std::to_string(size) + " '" + path + "'");
  for (const auto &r : ranges) {
    sh("dd if=/dev/urandom of='" + path + "' bs=1M count=" + std::to_string(r.length) +
       " seek=" + std::to_string(r.offset) +
       " iflag=count_bytes,fullblock oflag=seek_bytes conv=notrunc status=none");
  }
}

void write_zeros(const std::string &path, std::uint64_t offset, std::uint64_t length) {
  sh("dd if=/dev/zero of='" + path + "' bs=1M count=" + std::to_string(length) +
     " seek=" + std::to_string(offset) +
     " iflag=count_bytes,fullblock oflag=seek_bytes conv=notrunc status=none");
}

bool cached(const std::string &path, std::uint64_t length, std::uint64_t offset) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const auto len = static_cast<std::size_t>(length);
  void *p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
  ::close(fd);
  if (p == MAP_FAILED) {
    return false;
  }
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> pages((len + page - 1) / page);
  const bool ok = ::mincore(p, len, pages.data()) == 0;
  ::munmap(p, len);
  return ok && std::ranges::any_of(pages, [](unsigned char v) { return (v & 1U) != 0; });
}

bool on_tmpfs(const std::string &path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

std::uint64_t allocated_bytes(const std::string &path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<std::uint64_t>(st.st_blocks) * 512U;
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool same_content(const std::string &a, const std::string &b) {
  return std::system(("cmp -s '" + a + "' '" + b + "'").c_str()) == 0;
}

std::string xxh128_of(const std::string &path) {
  std::string out;
  FILE *p = ::popen(("xxh128sum '" + path + "'").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    out += buf;
  }
  REQUIRE(::pclose(p) == 0);
  return out.substr(0, 32);
}

std::vector<std::byte> read_range(const std::string &path, std::uint64_t offset,
                                  std::uint64_t length) {
  const auto fd = open_read_only(path);
  return read_bytes(fd.get(), path, offset, static_cast<std::size_t>(length));
}

copy::CopyOptions test_options() {
  copy::CopyOptions o;
  o.chunk_size = 1 * MiB;
  o.save_interval = std::chrono::milliseconds(50);
  o.progress_interval = std::chrono::milliseconds(0);
  return o;
}

bool can_mount_ext4() {
  if (::geteuid() != 0) {
    skip("not root: a loop-mounted ext4 target needs root");
    return false;
  }
  if (::access("/dev/loop-control", R_OK | W_OK) != 0) {
    skip("no /dev/loop-control: loop devices unavailable");
    return false;
  }
  if (!have("mkfs.ext4")) {
    skip("mkfs.ext4 not installed (scripts/setup installs e2fsprogs)");
    return false;
  }
  return true;
}

Ext4Mount::Ext4Mount(const std::string &dir, unsigned size_mib, const std::string &name)
    : image_(dir + "/" + name + ".img"), mnt_(dir + "/mnt"), guard_(mnt_) {
  sh(fmt::format("truncate -s {}M '{}' && mkfs.ext4 -q -F '{}' && mkdir '{}'", size_mib, image_,
                 image_, mnt_));
  sh(fmt::format("mount -o loop '{}' '{}'", image_, mnt_));
}

MountGuard::~MountGuard() {
  if (std::system(("mountpoint -q '" + dir_ + "' && umount '" + dir_ + "'").c_str()) != 0) {
    // not mounted (the mount failed): nothing to undo
  }
}

void RecordingSink::on_progress(const copy::CopyProgress &p) noexcept {
  std::lock_guard lock(m_);
  seen_.push_back(p);
  if (hook) {
    hook(p);
  }
}

std::vector<copy::CopyProgress> RecordingSink::seen() const {
  std::lock_guard lock(m_);
  return seen_;
}

} // namespace kvmr::test
