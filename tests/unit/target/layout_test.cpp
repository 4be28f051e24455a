// The partition plan and the mkfs command lines, without touching a disk.
#include "rescue/target/mkfs.hpp"
#include "rescue/target/partition_plan.hpp"
#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

using namespace kvmr::target; // NOLINT(google-build-using-namespace)

TEST_CASE("a 2 GiB disk: data from 1 MiB, OEMDRV at the aligned end") {
  const std::uint64_t size = std::uint64_t{2} << 30U;
  const auto p = plan_partitions(size, 512, Layout{});
  REQUIRE(p.has_value());
  CHECK(p->data_start == kMiB);
  CHECK(p->oemdrv_size == 64 * kMiB);
  // The backup GPT takes 33 sectors: the last whole MiB is lost to alignment.
  CHECK(p->oemdrv_start + p->oemdrv_size == size - kMiB);
  CHECK(p->data_start + p->data_size == p->oemdrv_start);
  CHECK(data_capacity(size, 512, Layout{}) == p->data_size);
  Layout no_oem;
  no_oem.oemdrv = false;
  CHECK(data_capacity(size, 512, no_oem) == size - 2 * kMiB);
}

TEST_CASE("a disk too small for the layout has no capacity") {
  CHECK(data_capacity(300 * kMiB, 512, Layout{}) == 0);
  Layout ext4;
  ext4.fs_type = "ext4";
  CHECK(data_capacity(300 * kMiB, 512, ext4) > 0);
  CHECK(data_capacity(0, 512, Layout{}) == 0);
}

TEST_CASE("EL7-compatible XFS gets exactly the options CentOS 7's kernel mounts") {
  const auto argv = data_mkfs_argv("/dev/loop9", Layout{});
  const std::vector<std::string> want{
      "mkfs.xfs",    "-f",        "-L",
      "KVMR-IMAGES", "-m",        "crc=1,finobt=0,rmapbt=0,reflink=0,bigtime=0,inobtcount=0",
      "-i",          "sparse=0",  "-n",
      "ftype=1",     "/dev/loop9"};
  CHECK(argv == want);
  Layout modern;
  modern.el7_compatible = false;
  CHECK(data_mkfs_argv("/dev/loop9", modern) ==
        std::vector<std::string>{"mkfs.xfs", "-f", "-L", "KVMR-IMAGES", "/dev/loop9"});
  Layout bad;
  bad.fs_type = "btrfs";
  CHECK_THROWS_AS(data_mkfs_argv("/dev/loop9", bad), kvmr::InputError);
}
