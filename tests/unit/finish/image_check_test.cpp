// qemu-img check on real images: clean, with a leaked cluster, with a
// corrupted refcount, truncated; and the verdict of made-up runs.
#include "rescue/finish/image_check.hpp"
#include "rescue/util/bytes.hpp"
#include "rescue/util/fd.hpp"
#include "unit/finish/finish_fixture.hpp"

#include <doctest/doctest.h>

#include <array>
#include <fcntl.h>
#include <unistd.h>

using kvmr::CommandResult;
using kvmr::finish::check_image;
using kvmr::finish::CheckStatus;
using kvmr::finish::parse_image_check;
using kvmr::test::q;
using kvmr::test::sh;

namespace {

// A 64 MiB qcow2 with 1 MiB of data.
std::string make_image(const kvmr::test::TempDir &dir, const std::string &name) {
  std::string path = dir / name;
  sh("qemu-img create -q -f qcow2 " + q(path) +
     " 64M && qemu-io -f qcow2 -c 'write -P 0xab 0 1M' " + q(path) + " >/dev/null");
  return path;
}

// Sets the 16-bit refcount of cluster CLUSTER (in the first refcount
// block) to VALUE, the way a crash or a bad sector could leave it.
void poke_refcount(const std::string &path, std::uint64_t cluster, std::uint16_t value) {
  const kvmr::UniqueFd rd = kvmr::open_read_only(path);
  const auto head = kvmr::read_bytes(rd.get(), path, 0, 104);
  REQUIRE(kvmr::be32(head, 96) == 4); // refcount_order: 16-bit refcounts
  const std::uint64_t table = kvmr::be64(head, 48);
  const auto entry = kvmr::read_bytes(rd.get(), path, table, 8);
  const std::uint64_t block = kvmr::be64(entry, 0);
  REQUIRE(block != 0);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const std::array<unsigned char, 2> be{static_cast<unsigned char>(value >> 8U),
                                        static_cast<unsigned char>(value & 0xffU)};
  const auto off = static_cast<off_t>(block + cluster * 2);
  CHECK(::pwrite(fd, be.data(), be.size(), off) == 2);
  ::close(fd);
}

} // namespace

TEST_CASE("a clean qcow2 is ok" * doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("qemu-img") || !kvmr::test::have_or_skip("qemu-io")) {
    return;
  }
  kvmr::test::TempDir dir;
  const auto path = make_image(dir, "clean.qcow2");
  const auto c = check_image(path, "qcow2");
  INFO(c.message);
  CHECK(c.status == CheckStatus::ok);
  CHECK(c.ok());
  CHECK(c.message.empty());
  CHECK(c.corruptions == 0);
  CHECK(c.leaks == 0);
  REQUIRE(c.image_end_offset.has_value());
  CHECK(*c.image_end_offset > 1024 * 1024);
  CHECK(c.total_clusters == 1024);
}

TEST_CASE("a leaked cluster and a corrupted refcount are reported" * doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("qemu-img") || !kvmr::test::have_or_skip("qemu-io")) {
    return;
  }
  kvmr::test::TempDir dir;
  const auto leaky = make_image(dir, "leaky.qcow2");
  poke_refcount(leaky, 0, 2); // the header cluster counted twice: a leak
  auto c = check_image(leaky, "qcow2");
  CHECK(c.status == CheckStatus::leaks);
  CHECK(c.leaks == 1);
  CHECK(c.corruptions == 0);
  CHECK(c.message == leaky + ": qemu-img check found 1 leaked cluster (wasted space; the data "
                             "is intact)");
  REQUIRE_FALSE(c.details.empty());
  CHECK(c.details[0].find("Leaked cluster 0") != std::string::npos);

  const auto broken = make_image(dir, "broken.qcow2");
  poke_refcount(broken, 0, 0); // the header cluster counted as free: corruption
  c = check_image(broken, "qcow2");
  CHECK(c.status == CheckStatus::corrupt);
  CHECK(c.corruptions >= 1);
  CHECK(c.message.find(broken + ": qemu-img check found ") == 0);
  CHECK(c.message.find("corruption") != std::string::npos);
  // The check is read-only: the damage is still there.
  CHECK(check_image(broken, "qcow2").status == CheckStatus::corrupt);
}

TEST_CASE("a truncated image: the error names it" * doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("qemu-img") || !kvmr::test::have_or_skip("qemu-io")) {
    return;
  }
  kvmr::test::TempDir dir;
  const auto cut = make_image(dir, "cut.qcow2");
  REQUIRE(::truncate(cut.c_str(), 100000) == 0); // tables and data gone
  auto c = check_image(cut, "qcow2");
  CHECK_FALSE(c.ok());
  CHECK((c.status == CheckStatus::corrupt || c.status == CheckStatus::error));
  CHECK(c.message.find(cut + ": ") == 0);

  REQUIRE(::truncate(cut.c_str(), 50) == 0); // not even a header
  c = check_image(cut, "qcow2");
  CHECK(c.status == CheckStatus::error);
  CHECK(c.message.find(cut + ": qemu-img check could not check the qcow2 image (exit 1)") == 0);
  CHECK(c.message.find("header too short") != std::string::npos);

  c = check_image(dir / "missing.qcow2", "qcow2");
  CHECK(c.status == CheckStatus::error);
  CHECK(c.message.find(dir / "missing.qcow2") == 0);
}

TEST_CASE("raw images are not checked; formats without checks say so") {
  const auto c = check_image("/nonexistent/disk.img", "raw");
  CHECK(c.status == CheckStatus::not_applicable);
  CHECK(c.message == "/nonexistent/disk.img: raw image: nothing to check");

  CommandResult r;
  r.exit_code = 63;
  r.err = "qemu-img: This image format does not support checks\n";
  CHECK(parse_image_check("/x.vpc", "vpc", r).status == CheckStatus::not_applicable);
}

TEST_CASE("the verdict trusts the counts over a zero exit status") {
  CommandResult r;
  r.exit_code = 0;
  r.out = R"({"image-end-offset": 1376256, "total-clusters": 1024, "corruptions": 2,
              "check-errors": 0, "filename": "x", "format": "qcow2"})";
  auto c = parse_image_check("/x.qcow2", "qcow2", r);
  CHECK(c.status == CheckStatus::corrupt);
  CHECK(c.corruptions == 2);
  CHECK(c.message == "/x.qcow2: qemu-img check found 2 corruptions in the qcow2 image");

  r.exit_code = 2;
  r.out = R"({"corruptions": 1, "leaks": 3, "check-errors": 1})";
  c = parse_image_check("/x.qcow2", "qcow2", r);
  CHECK(c.message ==
        "/x.qcow2: qemu-img check found 1 corruption and 3 leaked clusters (1 check errors) in "
        "the qcow2 image");

  r = CommandResult{};
  r.not_found = true;
  c = parse_image_check("/x.qcow2", "qcow2", r);
  CHECK(c.status == CheckStatus::error);
  CHECK(c.message == "/x.qcow2: qemu-img is not installed: the qcow2 image was not checked");

  r = CommandResult{};
  r.exit_code = 0;
  r.out = "not json";
  CHECK(parse_image_check("/x.qcow2", "qcow2", r).status == CheckStatus::ok);
}
