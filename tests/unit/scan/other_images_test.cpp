// The formats other than raw and qcow2 that qemu-img opens (vmdk in its
// descriptor and sparse kinds, vhdx, vpc, parallels, qed, vdi), walked as
// chain members over real qemu-img images laid out as an old host's tree,
// each checked against `qemu-img info --backing-chain --output=json`; and
// the VMDK descriptor parser on its own, on hostile text.
#include "rescue/scan/host_path.hpp"
#include "rescue/scan/image_chain.hpp"
#include "rescue/scan/vmdk_descriptor.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/image_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

using namespace kvmr;
using namespace kvmr::scan;
using kvmr::test::sh;

namespace {

// An old host's tree under a temporary directory, images in /images.
struct Host {
  test::TempDir tmp;
  std::string root = tmp.path().string();
  volume::MountedTree tree{root};

  Host() { sh("mkdir -p " + root + "/images"); }
  void run(const std::string &line) const { sh("cd " + root + "/images && " + line); }
  ImageChain walk(const std::string &name, const std::string &format) {
    return walk_image_chain(tree, "/images/" + name, format);
  }
  // qemu-img's view of the chain from /images/NAME, run in /images.
  nlohmann::json qemu(const std::string &name, const std::string &format = "") const {
    const std::string f = format.empty() ? "" : "-f " + format + " ";
    return nlohmann::json::parse(test::sh_out("cd " + root +
                                              "/images && qemu-img info -U --backing-chain "
                                              "--output=json " +
                                              f + name));
  }
};

bool mentions(const std::vector<Problem> &ps, const std::string &text, Severity s) {
  return std::any_of(ps.begin(), ps.end(), [&](const Problem &p) {
    return p.severity == s && p.message.find(text) != std::string::npos;
  });
}

std::string dump(const ImageChain &c) {
  std::string out;
  for (const auto &m : c.members) {
    for (const auto &p : m.problems) {
      out += std::string(severity_name(p.severity)) + ": " + p.message + "\n";
    }
  }
  for (const auto &p : c.problems) {
    out += std::string(severity_name(p.severity)) + ": " + p.message + "\n";
  }
  return out;
}

// Checks each member against qemu-img's entry for it: format, virtual
// size (where the walk reads one), backing name.
void agree(const ImageChain &c, const nlohmann::json &q) {
  INFO(dump(c));
  REQUIRE(c.members.size() == q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    CAPTURE(i);
    const auto &m = c.members[i];
    REQUIRE(m.format);
    CHECK(q[i].at("format").get<std::string>() == format_name(*m.format));
    if (m.virtual_size) {
      CHECK(q[i].at("virtual-size").get<std::uint64_t>() == *m.virtual_size);
    }
    CHECK(q[i].value("backing-filename", std::string()) == m.backing_name);
  }
}

// The extent file names qemu-img lists for a VMDK (format-specific data).
std::vector<std::string> qemu_extents(const nlohmann::json &image) {
  std::vector<std::string> out;
  for (const auto &e : image.at("format-specific").at("data").at("extents")) {
    out.push_back(basename(e.at("filename").get<std::string>()));
  }
  return out;
}

std::vector<std::string> extent_names(const ChainMember &m) {
  std::vector<std::string> out;
  for (const auto &e : m.extents) {
    out.push_back(basename(e.path));
  }
  return out;
}

} // namespace

TEST_CASE("single-file images of every format qemu-img makes are one member each" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  Host h;
  const std::vector<std::string> formats{"vmdk", "vhdx", "vpc", "parallels", "qed", "vdi"};
  for (const auto &f : formats) {
    h.run("qemu-img create -q -f " + f + " disk." + f + " 30M");
  }
  h.run("qemu-img create -q -f vmdk -o subformat=streamOptimized stream.vmdk 30M"
        " && qemu-img create -q -f vpc -o force_size=on exact.vpc 30M"
        " && qemu-img create -q -f vpc -o subformat=fixed fixed.vhd 30M");
  for (const auto &f : formats) {
    CAPTURE(f);
    const ImageChain c = h.walk("disk." + f, f);
    agree(c, h.qemu("disk." + f));
    CHECK(c.ok());
    CHECK(c.complete);
    CHECK(c.members[0].extents.empty());
    CHECK(c.files() == std::vector<std::string>{"/images/disk." + f});
    CHECK(mentions(c.members[0].problems, "opens this format read-only only", Severity::warning));
    CHECK(c.members[0].opened_as == c.members[0].format);
    CHECK(c.members[0].virtual_size.has_value()); // vhdx: from its metadata region
  }
  // A size that is no round number of blocks, and a dynamic vhdx of 3 GiB
  // and 1 MiB with its metadata where qemu-img puts it.
  h.run("qemu-img create -q -f vhdx odd.vhdx 33554944 && qemu-img create -q -f vhdx "
        "-o block_size=8M big.vhdx 3073M");
  for (const std::string f : {"odd.vhdx", "big.vhdx"}) {
    CAPTURE(f);
    const ImageChain c = h.walk(f, "vhdx");
    REQUIRE(c.members.size() == 1);
    REQUIRE(c.members[0].virtual_size.has_value());
    agree(c, h.qemu(f));
  }
  agree(h.walk("stream.vmdk", "vmdk"), h.qemu("stream.vmdk"));
  agree(h.walk("exact.vpc", "vpc"), h.qemu("exact.vpc"));
  const ImageChain fixed = h.walk("fixed.vhd", "vpc"); // footer only: found where vpc is declared
  agree(fixed, h.qemu("fixed.vhd", "vpc"));
  CHECK(fixed.members[0].virtual_size.has_value());
  CHECK(h.walk("fixed.vhd", "raw").members[0].format == ImageFormat::raw);
}

TEST_CASE("VMDK descriptors: their extents are chain files, a missing one an error" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  Host h;
  h.run("qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse split.vmdk 5G"
        " && qemu-img create -q -f vmdk -o subformat=monolithicFlat flat.vmdk 20M"
        " && qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentFlat flat2g.vmdk 3G");
  for (const std::string name : {"split.vmdk", "flat.vmdk", "flat2g.vmdk"}) {
    CAPTURE(name);
    const auto q = h.qemu(name);
    const ImageChain c = h.walk(name, "vmdk");
    agree(c, q);
    CHECK(c.ok());
    const auto expected = qemu_extents(q[0]);
    REQUIRE(expected.size() >= 1);
    CHECK(extent_names(c.members[0]) == expected);
    std::vector<std::string> files{"/images/" + name};
    for (const auto &e : expected) {
      files.push_back("/images/" + e);
    }
    CHECK(c.files() == files);
    const std::uint64_t on_disk =
        std::stoull(test::sh_out("stat -c %s " + h.root + "/images/" + expected[0]));
    CHECK(c.members[0].extents[0].size == on_disk);
  }
  h.run("rm split-s002.vmdk");
  const ImageChain broken = h.walk("split.vmdk", "vmdk");
  CHECK_FALSE(broken.ok());
  CHECK(mentions(broken.members[0].problems, "/images/split-s002.vmdk: does not exist",
                 Severity::error));
  CHECK(broken.files() == std::vector<std::string>{"/images/split.vmdk", "/images/split-s001.vmdk",
                                                   "/images/split-s003.vmdk"});
}

TEST_CASE("backing files in and behind other formats are followed as qemu-img follows them" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  Host h;
  h.run("qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse base.vmdk 3G"
        " && qemu-img create -q -f qcow2 -b base.vmdk -F vmdk overlay.qcow2"
        " && qemu-img create -q -f vmdk sparse.vmdk 50M"
        " && qemu-img create -q -f vmdk -b sparse.vmdk -F vmdk delta.vmdk"
        " && qemu-img create -q -f qed -b sparse.vmdk -F vmdk over.qed"
        " && qemu-img create -q -f raw plain.raw 40M"
        " && qemu-img create -q -f qed -b plain.raw -F raw overraw.qed");

  const auto q = h.qemu("overlay.qcow2");
  const ImageChain overlay = h.walk("overlay.qcow2", "qcow2");
  agree(overlay, q);
  CHECK(overlay.ok());
  CHECK(overlay.complete);
  CHECK(overlay.members[0].backing_format == "vmdk");
  CHECK(extent_names(overlay.members[1]) == qemu_extents(q[1]));
  CHECK(overlay.files().size() == 2 + qemu_extents(q[1]).size());
  CHECK_FALSE(mentions(overlay.members[0].problems, "read-only only", Severity::warning));
  CHECK(mentions(overlay.members[1].problems, "vmdk image: EL's qemu-kvm", Severity::warning));

  const ImageChain delta = h.walk("delta.vmdk", "vmdk");
  agree(delta, h.qemu("delta.vmdk"));
  CHECK(delta.ok());
  CHECK(delta.members[0].backing_format == "vmdk");
  CHECK(delta.members[0].extents.empty()); // its embedded descriptor names itself
  CHECK(delta.files() == std::vector<std::string>{"/images/delta.vmdk", "/images/sparse.vmdk"});

  agree(h.walk("over.qed", "qed"), h.qemu("over.qed"));
  const ImageChain overraw = h.walk("overraw.qed", "qed");
  agree(overraw, h.qemu("overraw.qed"));
  CHECK(overraw.members[0].backing_format == "raw");
  CHECK(overraw.ok());

  h.run("rm sparse.vmdk");
  const ImageChain orphan = h.walk("delta.vmdk", "vmdk");
  CHECK_FALSE(orphan.ok());
  CHECK(
      mentions(orphan.members[1].problems, "/images/sparse.vmdk: does not exist", Severity::error));
}

TEST_CASE("a raw disk whose guest wrote a VMDK descriptor is not read as one" *
          doctest::test_suite("tools")) {
  Host h;
  h.run("printf '# Disk DescriptorFile\\nparentFileNameHint=\"/etc/shadow\"\\n"
        "RW 8 FLAT \"/etc/passwd\" 0\\n' > desc.vmdk && cp desc.vmdk disk.img"
        " && truncate -s 1M disk.img");
  const ImageChain as_raw = h.walk("disk.img", "raw");
  REQUIRE(as_raw.members.size() == 1);
  CHECK(as_raw.members[0].format == ImageFormat::vmdk);
  CHECK(as_raw.members[0].opened_as == ImageFormat::raw);
  CHECK(as_raw.members[0].extents.empty());
  CHECK(as_raw.members[0].backing_name.empty());
  CHECK(as_raw.members[0].virtual_size == 1U << 20U);
  CHECK(as_raw.files() == std::vector<std::string>{"/images/disk.img"});

  // Declared vmdk, the same text is a descriptor whose extent is missing.
  const ImageChain as_vmdk = h.walk("desc.vmdk", "vmdk");
  INFO(dump(as_vmdk));
  CHECK_FALSE(as_vmdk.ok());
  CHECK(mentions(as_vmdk.members[0].problems, "VMDK extent missing: /etc/passwd", Severity::error));
}

TEST_CASE("VMDK descriptor text: extents, parent, and what is not understood") {
  const VmdkDescriptor d = parse_vmdk_descriptor(
      "# Disk DescriptorFile\r\nversion=1\ncreateType=\"twoGbMaxExtentSparse\"\n"
      "parentFileNameHint=\"../base/parent.vmdk\"\n"
      "RW 4194304 SPARSE \"disk-s001.vmdk\"\n"
      "RDONLY 2048 FLAT \"/abs/disk-flat.vmdk\" 128\n"
      "NOACCESS 16 ZERO\n"
      "RW 12 SPARSE disk-unquoted.vmdk\n"
      "RW lots SPARSE \"x.vmdk\"\n"
      "RW 1 FLAT \"open.vmdk\n"
      "RW 1 FLAT \"x.vmdk\" 12 extra\n"
      "ddb.adapterType = \"ide\"\n");
  CHECK(d.create_type == "twoGbMaxExtentSparse");
  CHECK(d.parent_hint == "../base/parent.vmdk");
  REQUIRE(d.extents.size() == 3);
  CHECK(d.extents[0].file == "disk-s001.vmdk");
  CHECK(d.extents[0].sectors == 4194304);
  CHECK(d.extents[1].access == "RDONLY");
  CHECK(d.extents[1].kind == "FLAT");
  CHECK(d.extents[1].offset == 128);
  CHECK(d.extents[2].kind == "ZERO");
  CHECK(d.extents[2].file.empty());
  CHECK(d.virtual_size() == (4194304ULL + 2048 + 16) * 512);
  CHECK(d.problems.size() == 4);

  const VmdkDescriptor huge =
      parse_vmdk_descriptor("RW 18446744073709551615 FLAT \"a\"\nRW 5 FLAT \"b\"\n");
  CHECK(huge.virtual_size() == UINT64_MAX); // saturates, never wraps
  CHECK(parse_vmdk_descriptor(std::string(vmdk_descriptor_max + 1, 'x')).problems.size() == 1);
  CHECK(parse_vmdk_descriptor(std::string("RW 1 FLAT \"a\"\0RW 1 FLAT \"b\"", 28)).extents.size() ==
        1);
  CHECK_FALSE(parse_vmdk_sparse_header(std::as_bytes(std::span("KDMV", 4))));
}
