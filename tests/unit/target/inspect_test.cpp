// inspect_target and refusals on real directories, images and loop
// devices: not a mount point, mounted, in use, a copy of a source, the
// source itself, too small.
#include "rescue/target/target.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/target/target_fixture.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

using namespace kvmr;         // NOLINT(google-build-using-namespace)
using namespace kvmr::target; // NOLINT(google-build-using-namespace)

namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30U;

bool any_contains(const std::vector<std::string> &v, const std::string &needle) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string &s) { return s.find(needle) != std::string::npos; });
}

std::string all(const std::vector<std::string> &v) {
  std::string s;
  for (const auto &l : v) {
    s += l + "\n";
  }
  return s;
}

} // namespace

TEST_CASE("a plain directory that is not a mount point is refused") {
  const test::WorkDir w;
  std::filesystem::create_directories(w / "plain");
  try {
    (void)inspect_target(w / "plain");
    FAIL("inspect_target accepted a directory that is not a mount point");
  } catch (const InputError &e) {
    const std::string msg = e.what();
    CHECK(msg.find(w / "plain") != std::string::npos);
    CHECK(msg.find("is not the mount point of a filesystem; mount the new data disk there") !=
          std::string::npos);
  }
  CHECK_THROWS_AS((void)inspect_target(w / "missing"), InputError);
  CHECK_THROWS_AS(TargetMount::use_directory(w / "plain"), InputError);
}

TEST_CASE("a mounted directory: free bytes, type, and too small" * doctest::test_suite("root")) {
  if (!test::loop_and_mount_or_skip()) {
    return;
  }
  const test::WorkDir w;
  const std::string dir = w / "mnt";
  std::filesystem::create_directories(dir);
  const test::TmpfsMount tmpfs(dir, "64m");
  const TargetInfo t = inspect_target(dir);
  CHECK(t.kind == Kind::directory);
  CHECK(t.fs_type == "tmpfs");
  CHECK(t.capacity > 60ULL << 20U);
  CHECK(t.capacity <= 64ULL << 20U);
  CHECK(refusals(t, {}, 1 << 20, Layout{}).empty());
  const auto why = refusals(t, {}, kGiB, Layout{});
  INFO(all(why));
  CHECK(any_contains(why, dir + " is too small: the copy needs 1.0 GiB, it has 0.1 GiB free"));
  const auto m = TargetMount::use_directory(dir);
  CHECK(m->root() == std::filesystem::canonical(dir).string());
}

TEST_CASE("a directory on the filesystem of a source image is refused" *
          doctest::test_suite("root")) {
  if (!test::loop_and_mount_or_skip()) {
    return;
  }
  const test::WorkDir w;
  const std::string dir = w / "mnt";
  std::filesystem::create_directories(dir);
  const test::TmpfsMount tmpfs(dir, "600m");
  test::make_source_image(dir + "/source.img", w.path());
  const auto src = test::probe(dir + "/source.img");
  const auto why = refusals(inspect_target(dir), {src}, 1, Layout{});
  INFO(all(why));
  CHECK(any_contains(why, "is on the same filesystem as the source image " + dir + "/source.img"));
}

TEST_CASE("an image: capacity after preparation, the source itself, a copy of it, too small" *
          doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(test::have("sfdisk") && test::have("mkfs.xfs"),
                   "sfdisk or mkfs.xfs not installed (scripts/setup installs them)");
  const test::WorkDir w;
  const std::string source = w / "source.img";
  test::make_source_image(source, w.path());
  const auto src = test::probe(source);
  REQUIRE(src.table.partitions.size() == 1);
  REQUIRE(src.table.partitions[0].fs.uuid == test::kSourceXfsUuid);

  SUBCASE("a fresh 2 GiB image is fine") {
    test::sh("truncate -s 2G " + (w / "new.img"));
    const TargetInfo t = inspect_target(w / "new.img");
    CHECK(t.kind == Kind::image);
    CHECK(t.capacity == data_capacity(2 * kGiB, 512, Layout{}));
    CHECK(t.in_use.empty());
    CHECK(refusals(t, {src}, kGiB, Layout{}).empty());
    const auto why = refusals(t, {src}, 3 * kGiB, Layout{});
    INFO(all(why));
    CHECK(any_contains(why, "is too small: the copy needs 3.0 GiB, its data partition would have"));
  }
  SUBCASE("the source image itself") {
    const auto why = refusals(inspect_target(source), {src}, 1, Layout{});
    INFO(all(why));
    CHECK(any_contains(why, source + " is the source disk " + source));
  }
  SUBCASE("a sparse copy of the source carries its UUIDs") {
    const std::string copy = w / "copy.img";
    test::sh("cp --sparse=always '" + source + "' '" + copy + "' && truncate -s 2G '" + copy + "'");
    const auto why = refusals(inspect_target(copy), {src}, 1, Layout{});
    INFO(all(why));
    CHECK(any_contains(why, copy + " carries filesystem UUID " + std::string(test::kSourceXfsUuid) +
                                " of the source disk " + source +
                                ": it looks like a copy or part of the dead host's disk; "
                                "refusing to write to it"));
    CHECK(any_contains(why, "carries partition UUID (PARTUUID)"));
    CHECK(any_contains(why, "carries partition table id"));
  }
  SUBCASE("too small for the layout") {
    test::sh("truncate -s 200M " + (w / "small.img"));
    const TargetInfo t = inspect_target(w / "small.img");
    CHECK(t.capacity == 0);
    const auto why = refusals(t, {src}, 1, Layout{});
    INFO(all(why));
    CHECK(any_contains(why, "is too small for the layout"));
  }
}

TEST_CASE("an image with a loop device over it is in use" * doctest::test_suite("root")) {
  if (!test::loop_and_mount_or_skip()) {
    return;
  }
  const test::WorkDir w;
  const std::string img = w / "busy.img";
  test::sh("truncate -s 1G " + img);
  const test::TestLoop loop(img);
  const TargetInfo t = inspect_target(img);
  REQUIRE(t.in_use.size() == 1);
  CHECK(t.in_use[0] == loop.dev() + " is a loop device over " + img);
  const auto why = refusals(t, {}, 1, Layout{});
  CHECK(any_contains(why, img + " is in use: " + loop.dev()));

  SUBCASE("the loop device as a target, over a source image") {
    test::make_source_image(w / "source.img", w.path());
    const test::TestLoop src_loop(w / "source.img");
    const auto src = test::probe(w / "source.img");
    const TargetInfo lt = inspect_target(src_loop.dev());
    CHECK(lt.kind == Kind::device);
    const auto lwhy = refusals(lt, {src}, 1, Layout{});
    INFO(all(lwhy));
    CHECK(any_contains(lwhy,
                       src_loop.dev() + " is a loop device over the source " + (w / "source.img")));
    CHECK(any_contains(lwhy, "filesystem UUID " + std::string(test::kSourceXfsUuid)));
  }
}
