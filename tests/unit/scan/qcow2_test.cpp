// qcow2 header parser and format sniffer against real qemu-img images, and
// copies of them with one header field corrupted.
#include "rescue/scan/image_format.hpp"
#include "rescue/scan/qcow2.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/image_fixture.hpp"

#include <doctest/doctest.h>

#include <span>

using namespace kvmr;
using namespace kvmr::scan;
using kvmr::test::be;
using kvmr::test::patch;
using kvmr::test::sh;
using kvmr::test::slurp;

namespace {

Bytes bytes(const std::string &s) {
  return std::as_bytes(std::span(s));
}

// Parses the whole file, as the chain walker does for a small image.
Qcow2Header parse_file(const std::string &path) {
  const std::string data = slurp(path);
  return parse_qcow2_header(bytes(data), path, true);
}

// The message of the InputError parsing PATH throws ("" when none).
std::string parse_error(const std::string &path) {
  try {
    (void)parse_file(path);
  } catch (const InputError &e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("qcow2 v2 (compat=0.10) header without a backing file" * doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  test::TempDir tmp;
  sh("cd " + tmp.path().string() + " && qemu-img create -q -f qcow2 -o compat=0.10 v2.qcow2 64M");
  const auto h = parse_file(tmp / "v2.qcow2");
  CHECK(h.version == 2);
  CHECK(h.virtual_size == 64ULL << 20U);
  CHECK(h.cluster_bits == 16);
  CHECK(h.cluster_size == 65536);
  CHECK(h.header_length == 72);
  CHECK(h.refcount_order == 4);
  CHECK(h.crypt_method == 0);
  CHECK(h.incompatible_features == 0);
  CHECK_FALSE(h.has_backing());
  CHECK_FALSE(h.backing_file);
  CHECK(h.backing_format.empty());
  CHECK(h.data_file.empty());
  CHECK(h.complete());
  CHECK(sniff_format(bytes(slurp(tmp / "v2.qcow2"))) == ImageFormat::qcow2);
}

TEST_CASE("qcow2 v3 headers: backing name and format, cluster size, data file" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  test::TempDir tmp;
  const std::string d = tmp.path().string();
  sh("cd " + d + " && qemu-img create -q -f qcow2 base.qcow2 1G" +
     " && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 -o cluster_size=4096 top.qcow2" +
     " && qemu-img create -q -f qcow2 -o compat=0.10 -b base.qcow2 -F qcow2 top2.qcow2" +
     " && qemu-img rebase -u -b /var/lib/libvirt/images/../base/b.img -F raw top.qcow2" +
     " && qemu-img create -q -f qcow2 -o data_file=data.raw dat.qcow2 10M");

  const auto top = parse_file(tmp / "top.qcow2");
  CHECK(top.version == 3);
  CHECK(top.header_length == 112);
  CHECK(top.cluster_bits == 12);
  CHECK(top.virtual_size == 1ULL << 30U);
  REQUIRE(top.backing_file);
  CHECK(*top.backing_file == "/var/lib/libvirt/images/../base/b.img");
  CHECK(top.backing_file_size == top.backing_file->size());
  CHECK(top.backing_format == "raw");

  const auto top2 = parse_file(tmp / "top2.qcow2");
  CHECK(top2.version == 2);
  REQUIRE(top2.backing_file);
  CHECK(*top2.backing_file == "base.qcow2");
  CHECK(top2.backing_format == "qcow2"); // v2 images carry extensions too

  const auto dat = parse_file(tmp / "dat.qcow2");
  CHECK(dat.data_file == "data.raw");
  CHECK((dat.incompatible_features & qcow2_incompat_data_file) != 0);
  CHECK(dat.virtual_size == 10ULL << 20U);
  CHECK_FALSE(dat.has_backing());
}

TEST_CASE("a short read asks for the bytes the header places beyond it" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  test::TempDir tmp;
  sh("cd " + tmp.path().string() +
     " && qemu-img create -q -f qcow2 base.qcow2 1M && qemu-img create -q -f qcow2 -b base.qcow2 "
     "-F qcow2 top.qcow2");
  const std::string all = slurp(tmp / "top.qcow2");
  const auto full = parse_qcow2_header(bytes(all), "top.qcow2", true);
  REQUIRE(full.backing_file);
  const std::uint64_t name_end = full.backing_file_offset + full.backing_file_size;

  // The name (and extension area) lies beyond the first bytes given.
  const std::string head = all.substr(0, 200);
  const auto part = parse_qcow2_header(bytes(head), "top.qcow2", false);
  CHECK_FALSE(part.complete());
  CHECK(part.need_prefix == 65536); // the whole first cluster: one read completes it
  CHECK(name_end < 65536);
  CHECK_FALSE(part.backing_file);
  CHECK(part.virtual_size == 1ULL << 20U);
  const std::string more = all.substr(0, part.need_prefix);
  const auto again = parse_qcow2_header(bytes(more), "top.qcow2", false);
  CHECK(again.complete());
  CHECK(again.backing_file == full.backing_file);
  CHECK(again.backing_format == "qcow2");

  // Fewer bytes than the fixed header: ask for a v3 header's worth.
  CHECK(parse_qcow2_header(bytes(all.substr(0, 40)), "top.qcow2", false).need_prefix == 104);
  // The same bytes at the end of the file are a truncated image.
  CHECK_THROWS_WITH_AS(parse_qcow2_header(bytes(head), "top.qcow2", true),
                       doctest::Contains("top.qcow2: qcow2 header: backing file name"), InputError);
}

TEST_CASE("corrupt qcow2 headers are refused naming the file and the field" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  test::TempDir tmp;
  const std::string d = tmp.path().string();
  sh("cd " + d +
     " && qemu-img create -q -f qcow2 base.qcow2 1M && qemu-img create -q -f qcow2 -b base.qcow2 "
     "-F qcow2 good.qcow2");
  const auto good = parse_file(tmp / "good.qcow2");
  REQUIRE(good.backing_file_offset == 0x200 + 16); // qemu puts the name after the extensions
  const auto copy = [&](const std::string &name) {
    sh("cp " + d + "/good.qcow2 " + d + "/" + name);
    return tmp / name;
  };

  const std::string truncated = copy("truncated.qcow2");
  sh("truncate -s 60 " + truncated);
  CHECK(parse_error(truncated) == truncated +
                                      ": qcow2 header: header (offset 0, 72 bytes) runs past the "
                                      "end of the file (60 bytes)");

  const std::string v4 = copy("v4.qcow2");
  patch(v4, 4, be(4, 4));
  CHECK(parse_error(v4) == v4 + ": qcow2 header: version 4 not supported (2 or 3)");
  const std::string v1 = copy("v1.qcow2");
  patch(v1, 4, be(1, 4));
  CHECK(parse_error(v1).find("qcow (version 1)") != std::string::npos);

  const std::string cb = copy("cb40.qcow2");
  patch(cb, 20, be(40, 4));
  CHECK(parse_error(cb) == cb + ": qcow2 header: cluster_bits 40 outside 9..21");
  const std::string cb8 = copy("cb8.qcow2");
  patch(cb8, 20, be(8, 4));
  CHECK(parse_error(cb8) == cb8 + ": qcow2 header: cluster_bits 8 outside 9..21");

  const std::string far = copy("far.qcow2");
  patch(far, 8, be(1ULL << 40U, 8));
  CHECK(parse_error(far) ==
        far + ": qcow2 header: backing_file_offset 1099511627776 beyond the first cluster "
              "(65536 bytes)");

  // A name at the very end of the first cluster of a file cut short there.
  const std::string edge = copy("edge.qcow2");
  patch(edge, 8, be(65530, 8));
  sh("truncate -s 65536 " + edge);
  CHECK(parse_error(edge) == edge + ": qcow2 header: backing file name (offset 65530, 10 bytes) "
                                    "runs past the end of the file (65536 bytes)");

  const std::string huge = copy("huge.qcow2");
  patch(huge, 16, be(0xffffffffU, 4));
  CHECK(parse_error(huge) ==
        huge + ": qcow2 header: backing_file_size 4294967295 longer than 1023");

  // The backing format extension (at 112, length 5) claims 64 KiB.
  const std::string ext = copy("ext.qcow2");
  REQUIRE(slurp(ext).substr(112, 4) == be(qcow2_ext_backing_format, 4));
  patch(ext, 116, be(65536, 4));
  CHECK(parse_error(ext) == ext + ": qcow2 header: header extension 0xe2792aca at offset 112: "
                                  "length 65536 runs past the extension area (which ends at 528)");

  const std::string hl = copy("hl.qcow2");
  patch(hl, 100, be(1U << 20U, 4));
  CHECK(parse_error(hl) == hl + ": qcow2 header: header_length 1048576 exceeds the cluster size "
                                "65536");

  const std::string crypt = copy("crypt.qcow2");
  patch(crypt, 32, be(7, 4));
  CHECK(parse_error(crypt).find("crypt_method 7 unknown") != std::string::npos);

  const std::string fmt = copy("fmtlong.qcow2");
  patch(fmt, 116, be(16, 4));
  CHECK(parse_error(fmt).find("backing format extension length 16 above 15") != std::string::npos);

  const std::string magic = copy("magic.qcow2");
  patch(magic, 0, std::string("QFI\0", 4));
  CHECK(parse_error(magic).find("not a qcow2 image") != std::string::npos);
}

TEST_CASE("unknown header extensions are skipped, the end marker stops the walk" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  test::TempDir tmp;
  sh("cd " + tmp.path().string() +
     " && qemu-img create -q -f qcow2 base.qcow2 1M && qemu-img create -q -f qcow2 -b base.qcow2 "
     "-F qcow2 a.qcow2 && cp a.qcow2 b.qcow2");
  // Retype the backing format extension: an unknown one, skipped.
  patch(tmp / "a.qcow2", 112, be(0x12345678U, 4));
  const auto a = parse_file(tmp / "a.qcow2");
  CHECK(a.backing_format.empty());
  REQUIRE(a.unknown_extensions.size() == 1);
  CHECK(a.unknown_extensions[0] == 0x12345678U);
  CHECK(a.backing_file == "base.qcow2");
  // An end marker in its place: nothing after it is read.
  patch(tmp / "b.qcow2", 112, be(qcow2_ext_end, 4));
  const auto b = parse_file(tmp / "b.qcow2");
  CHECK(b.backing_format.empty());
  CHECK(b.unknown_extensions.empty());
  CHECK(b.backing_file == "base.qcow2");
}

TEST_CASE("format sniffing tells qcow2 and raw from formats that are not rescued" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  test::TempDir tmp;
  sh("cd " + tmp.path().string() +
     " && for f in raw qcow2 qcow qed vmdk vdi vhdx vpc parallels; do qemu-img create -q -f $f "
     "x.$f 1M; done" +
     " && qemu-img create -q -f vmdk -o subformat=monolithicFlat flat.vmdk 1M" +
     // qemu-img's LUKS key-slot benchmark fails now and then with "Unable to
     // get accurate CPU usage" (about 1 in 8 here under load): a few tries.
     " && ok=0 && for i in 1 2 3 4 5 6; do qemu-img create -q --object secret,id=s0,data=abc "
     "-f luks -o key-secret=s0 x.luks 1M && { ok=1; break; }; done && [ $ok = 1 ]");
  const auto sniff = [&](const std::string &name) {
    return sniff_format(bytes(slurp(tmp / name).substr(0, sniff_length)));
  };
  CHECK(sniff("x.raw") == ImageFormat::raw);
  CHECK(sniff("x.qcow2") == ImageFormat::qcow2);
  CHECK(sniff("x.qcow") == ImageFormat::qcow);
  CHECK(sniff("x.qed") == ImageFormat::qed);
  CHECK(sniff("x.vmdk") == ImageFormat::vmdk);
  CHECK(sniff("flat.vmdk") == ImageFormat::vmdk);
  CHECK(sniff("x.vdi") == ImageFormat::vdi);
  CHECK(sniff("x.vhdx") == ImageFormat::vhdx);
  CHECK(sniff("x.vpc") == ImageFormat::vpc);
  CHECK(sniff("x.parallels") == ImageFormat::parallels);
  CHECK(sniff("x.luks") == ImageFormat::luks);
  CHECK(sniff_format(Bytes{}) == ImageFormat::raw);
  CHECK(sniff_format(bytes(std::string("QFI"))) == ImageFormat::raw);

  CHECK(format_name(ImageFormat::vpc) == "vpc");
  CHECK(parse_format_name("QCOW2") == ImageFormat::qcow2);
  CHECK(parse_format_name("iso") == ImageFormat::raw);
  CHECK(parse_format_name("vhd") == ImageFormat::vpc);
  CHECK_FALSE(parse_format_name("floppy"));
  CHECK(is_supported(ImageFormat::raw));
  CHECK(is_supported(ImageFormat::qcow2));
  CHECK(is_supported(ImageFormat::vmdk));
  CHECK_FALSE(is_supported(ImageFormat::luks));
}
