// set_backing_name on real images made by qemu-img: the header names the
// new backing file, no data cluster changes, and the chain resolves once
// the base is at its new path.
#include "rescue/finish/backing_rewrite.hpp"
#include "rescue/util/error.hpp"
#include "unit/finish/finish_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using kvmr::InputError;
using kvmr::SysError;
using kvmr::finish::read_qcow2_header;
using kvmr::finish::set_backing_name;
using kvmr::test::q;
using kvmr::test::sh;
using kvmr::test::sh_out;

namespace {

template <class F> std::string error_of(F f) {
  try {
    f();
  } catch (const InputError &e) {
    return e.what();
  } catch (const SysError &e) {
    return e.what();
  }
  return "no error";
}

// A base with data at 0 and an overlay (absolute backing name) with its
// own data at 2 MiB, in DIR/old/.
void make_chain(const kvmr::test::TempDir &dir, const std::string &base_fmt) {
  const std::string base = dir / ("old/base." + base_fmt);
  sh("mkdir -p " + q(dir / "old") + " " + q(dir / "new") + " && qemu-img create -q -f " + base_fmt +
     " " + q(base) + " 16M && qemu-io -f " + base_fmt + " -c 'write -P 0xaa 0 1M' " + q(base) +
     " >/dev/null && qemu-img create -q -f qcow2 -b " + q(base) + " -F " + base_fmt + " " +
     q(dir / "old/top.qcow2") + " && qemu-io -f qcow2 -c 'write -P 0xbb 2M 1M' " +
     q(dir / "old/top.qcow2") + " >/dev/null");
}

// What the guest sees through the chain.
std::string guest_hash(const std::string &top) {
  const std::string raw = top + ".guest.raw";
  const std::string sum = sh_out("qemu-img convert -f qcow2 -O raw " + q(top) + " " + q(raw) +
                                 " && sha256sum < " + q(raw) + " && rm -f " + q(raw));
  return sum.substr(0, 64);
}

} // namespace

TEST_CASE("a moved qcow2 base: new name in the header, data untouched, chain resolves" *
          doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("qemu-img") || !kvmr::test::have_or_skip("qemu-io")) {
    return;
  }
  kvmr::test::TempDir dir;
  make_chain(dir, "qcow2");
  const std::string top = dir / "old/top.qcow2";
  REQUIRE(read_qcow2_header(top).backing_file == dir / "old/base.qcow2");
  const std::string seen_before = guest_hash(top);
  sh("cp --sparse=always " + q(top) + " " + q(dir / "before.qcow2"));

  const std::string new_base = dir / "new/base.qcow2";
  set_backing_name(top, new_base, "qcow2");

  const auto h = read_qcow2_header(top);
  CHECK(h.backing_file == new_base);
  CHECK(h.backing_format == "qcow2");
  // Only the header cluster changed: every byte after the first 64 KiB
  // cluster is the same, and so is the size.
  CHECK(std::filesystem::file_size(top) == std::filesystem::file_size(dir / "before.qcow2"));
  sh("cmp -i 65536 " + q(top) + " " + q(dir / "before.qcow2"));

  // The base at its new path: the chain resolves and the guest sees what
  // it saw before.
  sh("mv " + q(dir / "old/base.qcow2") + " " + q(new_base));
  const std::string chain =
      sh_out("qemu-img info --backing-chain --output=json -f qcow2 " + q(top));
  CHECK(chain.find("\"filename\": \"" + new_base + "\"") != std::string::npos);
  CHECK(guest_hash(top) == seen_before);
  sh("qemu-img compare -f qcow2 -F qcow2 " + q(top) + " " + q(top));
}

TEST_CASE("a raw base, a relative name, and a name that needs quoting" *
          doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("qemu-img") || !kvmr::test::have_or_skip("qemu-io")) {
    return;
  }
  kvmr::test::TempDir dir;
  make_chain(dir, "raw");
  const std::string top = dir / "old/top.qcow2";
  const std::string seen_before = guest_hash(top);

  // Empty format: the header's format (raw) is kept.
  set_backing_name(top, "../new/base.raw", "");
  auto h = read_qcow2_header(top);
  CHECK(h.backing_file == "../new/base.raw");
  CHECK(h.backing_format == "raw");
  sh("mv " + q(dir / "old/base.raw") + " " + q(dir / "new/base.raw"));
  CHECK(guest_hash(top) == seen_before);

  const std::string odd = "/var/lib/libvirt/images/relocated/it's \"b\" $(touch x) ウェブ.img";
  set_backing_name(top, odd, "raw");
  h = read_qcow2_header(top);
  CHECK(h.backing_file == odd);
}

TEST_CASE("refusals and failures name the image" * doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("qemu-img") || !kvmr::test::have_or_skip("qemu-io")) {
    return;
  }
  kvmr::test::TempDir dir;
  make_chain(dir, "raw");
  const std::string top = dir / "old/top.qcow2";
  const std::string raw = dir / "old/base.raw";

  CHECK(error_of([&] { set_backing_name(raw, "/x", "raw"); }) == raw + ": not a qcow2 image (raw)");
  CHECK(error_of([&] {
          set_backing_name(top, "", "raw");
        }).find(top + ": refusing to set an empty backing file name") == 0);
  CHECK(error_of([&] {
          set_backing_name(top, std::string(1024, 'x'), "raw");
        }).find(top + ": backing file name of 1024 bytes") == 0);
  CHECK(error_of([&] {
          set_backing_name(dir / "nope.qcow2", "/x", "raw");
        }).find(dir / "nope.qcow2") == 0);
  // qemu-img refuses an unknown backing format: its complaint is passed on.
  const std::string bad_format = error_of([&] { set_backing_name(top, "/x", "no-such-fmt"); });
  CHECK(bad_format.find(top + ": qemu-img rebase -u -b /x failed") == 0);
  CHECK(read_qcow2_header(top).backing_file == raw); // unchanged

  {
    const kvmr::test::EmptyPath no_tools;
    CHECK(error_of([&] { set_backing_name(top, "/x", "raw"); }) ==
          top + ": qemu-img is not installed: cannot set its backing file name to /x");
  }
}
