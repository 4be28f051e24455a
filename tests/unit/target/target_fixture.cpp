// Target test helpers (see target_fixture.hpp).
#include "unit/target/target_fixture.hpp"

#include "rescue/disk/probe.hpp"
#include "rescue/util/command.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <vector>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace kvmr::test {

WorkDir::WorkDir() {
  const std::string parent = std::string(KVMR_BINARY_DIR) + "/test-tmp";
  std::filesystem::create_directories(parent);
  std::string tmpl = parent + "/target-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp under " + parent + " failed");
  }
  path_ = tmpl;
}

WorkDir::~WorkDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool loop_and_mount_or_skip() {
  if (::geteuid() != 0) {
    skip("needs root (loop devices and mount)");
    return false;
  }
  if (::access("/dev/loop-control", R_OK | W_OK) != 0) {
    skip("no /dev/loop-control (no loop driver)");
    return false;
  }
  for (const char *p : {"sfdisk", "mkfs.xfs", "mkfs.vfat", "mcopy", "mtype", "blkid", "xfs_db"}) {
    if (!have(p)) {
      skip(std::string(p) + " not installed (scripts/setup installs it)");
      return false;
    }
  }
  return true;
}

std::string leftovers(const std::string &image, const std::string &dir) {
  std::string out = sh_out("losetup -j '" + image + "'");
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(dir) != std::string::npos) {
      out += line + "\n";
    }
  }
  return out;
}

void make_source_image(const std::string &image, const std::string &scratch) {
  const std::string xfs = scratch + "/source-xfs.img";
  sh("truncate -s 400M '" + image +
     "' && printf '%s\\n' 'label: gpt' "
     "'start=2048, size=655360, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4' | sfdisk -q '" +
     image + "'");
  sh("truncate -s 320M '" + xfs + "' && mkfs.xfs -q -m uuid=" + kSourceXfsUuid + " '" + xfs +
     "' && dd if='" + xfs + "' of='" + image +
     "' bs=1M seek=1 conv=notrunc,sparse status=none && rm '" + xfs + "'");
}

disk::Disk probe(const std::string &path) {
  SystemCommandRunner r;
  disk::ProbeOptions o;
  o.smart = false;
  return disk::probe_disk(path, r, o);
}

std::string sparse_digest(const std::string &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  REQUIRE(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1);
  auto feed = [&ctx](std::uint64_t v) { EVP_DigestUpdate(ctx.get(), &v, sizeof v); };
  feed(static_cast<std::uint64_t>(st.st_size));
  std::vector<char> buf(1 << 20);
  off_t pos = 0;
  while (pos < st.st_size) {
    const off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0) {
      break; // only a hole is left
    }
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) {
      hole = st.st_size;
    }
    feed(static_cast<std::uint64_t>(data));
    feed(static_cast<std::uint64_t>(hole - data));
    for (off_t at = data; at < hole;) {
      const auto want =
          static_cast<std::size_t>(std::min<off_t>(hole - at, static_cast<off_t>(buf.size())));
      const ssize_t n = ::pread(fd, buf.data(), want, at);
      REQUIRE(n > 0);
      EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
      at += n;
    }
    pos = hole;
  }
  ::close(fd);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned len = 0;
  REQUIRE(EVP_DigestFinal_ex(ctx.get(), md.data(), &len) == 1);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    constexpr const char *kDigits = "0123456789abcdef";
    hex += kDigits[md[i] >> 4U];
    hex += kDigits[md[i] & 15U];
  }
  return hex;
}

TestLoop::TestLoop(const std::string &image) : dev_(sh_out("losetup --show -f '" + image + "'")) {
  while (!dev_.empty() && (dev_.back() == '\n' || dev_.back() == ' ')) {
    dev_.pop_back();
  }
}

TestLoop::~TestLoop() {
  sh("losetup -d " + dev_);
}

TmpfsMount::TmpfsMount(std::string dir, const std::string &size) : dir_(std::move(dir)) {
  sh("mount -t tmpfs -o size=" + size + " kvmr-test '" + dir_ + "'");
}

TmpfsMount::~TmpfsMount() {
  sh("umount '" + dir_ + "'");
}

} // namespace kvmr::test
