// Verification reads what the target device holds, not what the page cache
// still remembers: the written file's blocks are changed on the device
// behind the filesystem's back (through the loop device's backing file)
// while its page cache keeps the right bytes, and verification must see
// the change. Runs on a real ext4 loop mount (root only).
#include "rescue/copy/copy_error.hpp"
#include "rescue/copy/copy_item.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "unit/copy/copy_fixture.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

using namespace kvmr;
using namespace kvmr::test;

namespace {

// Where the byte at OFFSET of the file open as FD lies on its device
// (FIEMAP), or nothing.
std::optional<std::uint64_t> physical_offset(int fd, std::uint64_t offset) {
  std::vector<char> buf(sizeof(fiemap) + sizeof(fiemap_extent));
  auto *fm = reinterpret_cast<fiemap *>(buf.data());
  fm->fm_start = offset;
  fm->fm_length = 1;
  fm->fm_flags = FIEMAP_FLAG_SYNC;
  fm->fm_extent_count = 1;
  if (::ioctl(fd, FS_IOC_FIEMAP, fm) != 0 || fm->fm_mapped_extents != 1) {
    return std::nullopt;
  }
  const fiemap_extent &e = fm->fm_extents[0];
  if (offset < e.fe_logical || offset >= e.fe_logical + e.fe_length) {
    return std::nullopt;
  }
  return e.fe_physical + (offset - e.fe_logical);
}

// Writes the file at PARTIAL back, finds where OFFSET lies on the device
// and overwrites 4 KiB there in IMAGE (the loop device's backing file),
// leaving the file's page cache as it was. True when it worked.
bool corrupt_on_device(const std::string &partial, const std::string &image,
                       std::uint64_t offset) noexcept {
  const int fd = ::open(partial.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const bool synced = ::fsync(fd) == 0;
  const auto phys = physical_offset(fd, offset);
  ::close(fd);
  if (!synced || !phys) {
    return false;
  }
  const int img = ::open(image.c_str(), O_WRONLY | O_CLOEXEC);
  if (img < 0) {
    return false;
  }
  const std::vector<char> junk(4096, 'X');
  const bool ok = ::pwrite(img, junk.data(), junk.size(), static_cast<off_t>(*phys)) ==
                      static_cast<ssize_t>(junk.size()) &&
                  ::fsync(img) == 0;
  ::close(img);
  return ok;
}

} // namespace

TEST_CASE("copy_item: verification reads the device, not the page cache" *
          doctest::test_suite("root")) {
  // Verification after the copy: the block is changed as verification
  // starts. Verification trailing a resumed copy: a chunk the earlier run
  // finished is changed before the rerun, which verifies it while the
  // rest is copied. Either way the page cache keeps the right bytes.
  if (!can_mount_ext4()) {
    return;
  }
  for (const bool trailing : {false, true}) {
    for (const bool direct : {true, false}) {
      CAPTURE(trailing);
      CAPTURE(direct);
      TempDir dir;
      const Ext4Mount target(dir.path().string(), 64);
      const auto src_path = dir / "src.img";
      make_sparse(src_path, 8 * MiB, {{0, 8 * MiB}});
      io::FileByteSource src(src_path);
      const auto dst = target.dir() + "/vm.img";
      auto opt = test_options();
      opt.direct_verify = direct;
      opt.overlap_verify = trailing;
      // Written the ordinary way, so the page cache holds the right bytes
      // (direct writes would leave nothing there to be fooled by).
      opt.direct_write = false;
      const std::uint64_t changed = trailing ? MiB + 8192 : 3 * MiB + 8192;
      RecordingSink sink;
      bool corrupted = false;
      std::atomic<bool> cancel{false};
      if (trailing) { // stopped once chunk 1 is finished, then changed
        sink.hook = [&](const copy::CopyProgress &p) {
          if (p.phase == copy::CopyPhase::copying && p.done >= 5 * MiB) {
            cancel = true;
          }
        };
        opt.cancel = &cancel;
        CHECK_THROWS_AS(copy::copy_item(src, dst, opt, &sink), copy::Cancelled);
        opt.cancel = nullptr;
        corrupted = corrupt_on_device(copy::partial_path(dst), target.image(), changed);
        sink.hook = nullptr;
      } else {
        sink.hook = [&](const copy::CopyProgress &p) {
          if (p.phase == copy::CopyPhase::verifying && !corrupted) {
            corrupted = corrupt_on_device(copy::partial_path(dst), target.image(), changed);
          }
        };
      }
      try {
        copy::copy_item(src, dst, opt, &sink);
        FAIL("verification passed although the device holds other bytes");
      } catch (const copy::VerifyMismatch &e) {
        CHECK(e.first_offset() == changed / MiB * MiB);
      }
      CHECK(corrupted);
      CHECK_FALSE(exists(dst));
    }
  }
}
