// device_mapper_available() agrees with what the kernel says in
// /proc/devices (the driver registers "device-mapper" there); where the
// driver is there, a read-only device made from an LV's table reads the
// same bytes as the LV's segment map, and a killed run's device is
// removed by the registry's clean-up. Without the driver that part skips
// and says why.
#include "rescue/volume/device_mapper.hpp"

#include "rescue/io/file_byte_source.hpp"
#include "rescue/io/lv_byte_source.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"
#include "rescue/volume/loop.hpp"
#include "rescue/volume/registry.hpp"
#include "unit/rescue/lvm_fixture.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace kvmr; // NOLINT(google-build-using-namespace)

namespace {

// Whether the kernel registered the driver ("device-mapper" in /proc/devices).
bool kernel_has_device_mapper() {
  std::ifstream in("/proc/devices");
  std::string line;
  bool registered = false;
  while (std::getline(in, line)) {
    registered = registered || line.find("device-mapper") != std::string::npos;
  }
  return registered;
}

} // namespace

TEST_CASE("device-mapper is reported exactly when the kernel has it" *
          doctest::test_suite("root")) {
  KVMR_SKIP_UNLESS(geteuid() == 0, "/dev/mapper/control needs root");
  const bool registered = kernel_has_device_mapper();
  MESSAGE("this kernel " << std::string(registered ? "has" : "has no") << " device-mapper");
  CHECK(volume::device_mapper_available() == registered);
  const std::string problem = volume::device_mapper_problem();
  CHECK(problem.empty() == registered);
  if (!registered) {
    CHECK(problem.rfind("DM_VERSION failed: ", 0) == 0);
  }
}

TEST_CASE("device-mapper names say which run made them") {
  CHECK(volume::dm_device_name(4242, "centos", "db01") == "kvmr-4242-centos-db01");
  CHECK_THROWS_AS(volume::dm_device_name(1, std::string(100, 'v'), std::string(30, 'l')),
                  InputError);
}

TEST_CASE("a read-only device-mapper device shows a multi-segment LV" * doctest::test_suite("dm")) {
  KVMR_SKIP_UNLESS(geteuid() == 0, "device-mapper needs root");
  // The kernel's word, not the code under test's: if the driver is here
  // and device_mapper_problem() says otherwise, the test fails below.
  KVMR_SKIP_UNLESS(kernel_has_device_mapper(),
                   "this kernel has no device-mapper driver (none in /proc/devices)");
  test::TempDir t;
  const auto fx = test::make_lvm_fixture(
      t, {{"multi.img", 24ULL << 20U, 1ULL << 20U, 0}},
      {"vgcreate -s 1m vg_m {0}", "lvcreate -an -Zn -Wn -n multi -l 3 vg_m {0}:0-9",
       "lvcreate -an -Zn -Wn -n after -l 2 vg_m {0}", "lvextend -l +4 vg_m/multi {0}:8-11"},
      "vg_m");
  if (!fx) {
    return;
  }
  const std::string img = fx->pvs[0].image;
  // Every 8 bytes of the data area: its image offset.
  {
    std::fstream f(img, std::ios::in | std::ios::out | std::ios::binary);
    const std::uint64_t from = (2ULL << 20U);
    f.seekp(static_cast<std::streamoff>(from));
    for (std::uint64_t o = from; o < (24ULL << 20U); o += 8) {
      f.write(reinterpret_cast<const char *>(&o), 8);
    }
    REQUIRE(f.good());
  }
  auto fd = open_read_only(img);
  const auto a = lvm::assemble_volume_groups(
      {lvm::read_pv_label(fd.get(), img, fx->pvs[0].offset, fx->pv_size(0))});
  REQUIRE(a.vgs.size() == 1);
  const lvm::LvMap *lv = a.vgs[0].find_lv("multi");
  REQUIRE(lv != nullptr);
  REQUIRE(lv->segments.size() == 2);

  volume::LoopDevice loop = volume::LoopDevice::attach_read_only({img, 0, 0});
  struct stat st {};
  REQUIRE(::stat(loop.path().c_str(), &st) == 0);
  const auto table =
      volume::dm_table(*lv, {{img, fmt::format("{}:{}", major(st.st_rdev), minor(st.st_rdev))}});
  const std::string name = volume::dm_device_name(static_cast<int>(getpid()), "vg_m", "multi");
  {
    volume::DmDevice dm = volume::DmDevice::create_read_only(name, table);
    io::FileByteSource dev(dm.path());
    CHECK(dev.is_block_device());
    REQUIRE(dev.size() == lv->size);
    auto devfd = open_read_only(dm.path());
    int ro = 0;
    REQUIRE(::ioctl(devfd.get(), BLKROGET, &ro) == 0);
    CHECK(ro == 1);
    io::LvByteSource map("vg_m/multi", *lv);
    std::vector<std::byte> x(1U << 20U);
    std::vector<std::byte> y(1U << 20U);
    for (std::uint64_t off = 0; off < lv->size; off += x.size()) {
      INFO("LV offset " << off);
      REQUIRE(dev.read_at(off, x) == x.size());
      REQUIRE(map.read_at(off, y) == y.size());
      CHECK(x == y);
    }
    devfd.close(dm.path());
    dm.remove();
    CHECK_FALSE(volume::dm_remove_if_exists(name)); // gone already
  }
  // A run killed with its device in place: the next run's clean-up
  // removes it from the record.
  volume::DmDevice left = volume::DmDevice::create_read_only(name, table);
  left.release();
  volume::RunRecord rec;
  rec.pid = 0;
  rec.dm_devices.push_back(name);
  const auto rep = volume::tear_down(rec, t / "run");
  CHECK(std::find(rep.done.begin(), rep.done.end(), "removed device-mapper device " + name) !=
        rep.done.end());
  CHECK_FALSE(volume::dm_remove_if_exists(name));
}
