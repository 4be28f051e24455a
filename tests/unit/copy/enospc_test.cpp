// A target filesystem that fills up mid-copy: a clear error naming the
// target, the .partial left behind, nothing with the final name. Runs on
// a real 20 MiB ext4 loop mount (root only).
#include "rescue/copy/copy_item.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "rescue/util/error.hpp"
#include "unit/copy/copy_fixture.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <string>

using namespace kvmr;
using namespace kvmr::test;

TEST_CASE("copy_item: ENOSPC on the target is a clear error and leaves only the .partial" *
          doctest::test_suite("root")) {
  if (!can_mount_ext4()) {
    return;
  }
  TempDir dir;
  const Ext4Mount small(dir.path().string(), 20, "small");
  const auto &mnt = small.dir();

  const auto src_path = dir / "src.img";
  make_sparse(src_path, 40 * MiB, {{0, 40 * MiB}});
  io::FileByteSource src(src_path);
  const auto dst = mnt + "/vm.img";
  try {
    copy::copy_item(src, dst, test_options(), nullptr);
    FAIL("the copy fitted");
  } catch (const SysError &e) {
    CHECK(e.error_code() == ENOSPC);
    CHECK(e.path() == copy::partial_path(dst));
    const std::string what = e.what();
    CHECK(what.find("No space left on device") != std::string::npos);
    CHECK(what.find(copy::partial_path(dst)) != std::string::npos);
  }
  CHECK_FALSE(exists(dst));
  CHECK(exists(copy::partial_path(dst)));
}
