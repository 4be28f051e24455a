// Backing-chain walks over real qemu-img images laid out as an old host's
// tree (/images, /base, ...) in a temporary directory read through
// MountedTree; and qemu-img's own view of one chain, for comparison.
#include "rescue/scan/host_path.hpp"
#include "rescue/scan/image_chain.hpp"
#include "rescue/util/command.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/image_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sys/stat.h>
#include <sys/sysmacros.h>

using namespace kvmr;
using namespace kvmr::scan;
using kvmr::test::sh;

namespace {

// An old host's tree: images made with qemu-img under ROOT.
struct Host {
  test::TempDir tmp;
  std::string root = tmp.path().string();
  volume::MountedTree tree{root};

  Host() { sh("mkdir -p " + root + "/images/vm " + root + "/base " + root + "/links"); }
  // Runs LINE in ROOT/images.
  void run(const std::string &line) const { sh("cd " + root + "/images && " + line); }
  ImageChain walk(const std::string &path, const std::string &format = "qcow2",
                  std::size_t depth = default_max_chain_depth) {
    return walk_image_chain(tree, path, format, depth);
  }
};

bool mentions(const std::vector<Problem> &ps, const std::string &text,
              Severity s = Severity::error) {
  return std::any_of(ps.begin(), ps.end(), [&](const Problem &p) {
    return p.severity == s && p.message.find(text) != std::string::npos;
  });
}

std::string dump(const ImageChain &c) {
  std::string out;
  for (const auto &p : c.problems) {
    out += std::string(severity_name(p.severity)) + ": " + p.message + "\n";
  }
  for (const auto &m : c.members) {
    for (const auto &p : m.problems) {
      out += std::string(severity_name(p.severity)) + ": " + p.message + "\n";
    }
  }
  return out;
}

} // namespace

TEST_CASE("a three-deep chain with relative, ../ and absolute backing names" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  Host h;
  sh("cd " + h.root + "/base && qemu-img create -q -f qcow2 -o compat=0.10 base.qcow2 2G");
  h.run("qemu-img create -q -f qcow2 -b ../base/base.qcow2 -F qcow2 mid.qcow2"
        " && qemu-img create -q -f qcow2 -b ../mid.qcow2 -F qcow2 vm/top.qcow2 3G"
        " && qemu-img rebase -u -b /images/mid.qcow2 -F qcow2 vm/top.qcow2");
  const ImageChain c = h.walk("/images/vm/top.qcow2");
  INFO(dump(c));
  CHECK(c.ok());
  CHECK(c.complete);
  REQUIRE(c.depth == 3);
  REQUIRE(c.members.size() == 3);
  const auto &top = c.members[0];
  CHECK(top.path == "/images/vm/top.qcow2");
  CHECK(top.real_path == "/images/vm/top.qcow2");
  CHECK(top.exists);
  CHECK(top.type == io::FileType::regular);
  CHECK(top.format == ImageFormat::qcow2);
  CHECK(top.declared_format == "qcow2");
  CHECK(top.virtual_size == 3ULL << 30U);
  CHECK(top.backing_name == "/images/mid.qcow2");
  CHECK(top.backing_format == "qcow2");
  CHECK(top.backing_path == "/images/mid.qcow2");
  CHECK(top.size > 0);
  CHECK(top.allocated > 0);
  CHECK(top.problems.empty());
  const auto &mid = c.members[1];
  CHECK(mid.path == "/images/mid.qcow2");
  CHECK(mid.declared_format == "qcow2");
  CHECK(mid.virtual_size == 2ULL << 30U);
  CHECK(mid.backing_name == "../base/base.qcow2");
  CHECK(mid.backing_path == "/base/base.qcow2");
  const auto &base = c.members[2];
  CHECK(base.path == "/base/base.qcow2");
  REQUIRE(base.qcow2);
  CHECK(base.qcow2->version == 2);
  CHECK(base.virtual_size == 2ULL << 30U);
  CHECK(base.backing_name.empty());
  CHECK(base.backing_path.empty());
  CHECK(c.files() ==
        std::vector<std::string>{"/images/vm/top.qcow2", "/images/mid.qcow2", "/base/base.qcow2"});
}

TEST_CASE("qemu-img's view of a chain agrees with the walk" * doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  Host h;
  sh("cd " + h.root + "/base && qemu-img create -q -f raw disk.raw 100M");
  h.run("qemu-img create -q -f qcow2 -o compat=0.10 -b ../base/disk.raw -F raw mid.qcow2"
        " && qemu-img create -q -f qcow2 -b ../mid.qcow2 -F qcow2 vm/top.qcow2 200M");
  SystemCommandRunner r;
  const auto res = r.run({"qemu-img", "info", "--backing-chain", "--output=json", "-U",
                          h.root + "/images/vm/top.qcow2"},
                         std::chrono::seconds(60));
  REQUIRE(res.exit_code == 0);
  const auto qemu = nlohmann::json::parse(res.out);
  const ImageChain c = h.walk("/images/vm/top.qcow2");
  INFO(dump(c));
  CHECK(c.ok());
  REQUIRE(qemu.size() == 3);
  REQUIRE(c.members.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto &q = qemu[i];
    const auto &m = c.members[i];
    CAPTURE(i);
    // qemu keeps the names unnormalized ("/images/vm/../mid.qcow2")
    CHECK(normalize(q.at("filename").get<std::string>()) == h.root + m.path);
    CHECK(q.at("format").get<std::string>() == format_name(*m.format));
    CHECK(q.at("virtual-size").get<std::uint64_t>() == m.virtual_size);
    CHECK(q.value("backing-filename", std::string()) == m.backing_name);
    CHECK(q.value("backing-filename-format", std::string()) == m.backing_format);
    if (q.contains("full-backing-filename")) {
      CHECK(normalize(q.at("full-backing-filename").get<std::string>()) == h.root + m.backing_path);
    }
  }
  CHECK(c.members[2].virtual_size == 100ULL << 20U);
  CHECK(c.members[2].format == ImageFormat::raw);
  CHECK(c.members[2].declared_format == "raw");
}

TEST_CASE("loops, the depth bound and a missing backing file stop the walk" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  Host h;
  h.run("qemu-img create -q -f qcow2 a.qcow2 1M && qemu-img create -q -f qcow2 b.qcow2 1M"
        " && qemu-img rebase -u -b b.qcow2 -F qcow2 a.qcow2"
        " && qemu-img rebase -u -b ./vm/../a.qcow2 -F qcow2 b.qcow2"
        " && qemu-img create -q -f qcow2 c0.qcow2 1M"
        " && for i in 1 2 3 4 5; do qemu-img create -q -f qcow2 -b c$((i-1)).qcow2 -F qcow2 "
        "c$i.qcow2; done"
        " && qemu-img create -q -f qcow2 lost.qcow2 1M"
        " && qemu-img rebase -u -b gone.qcow2 -F qcow2 lost.qcow2");

  const ImageChain loop = h.walk("/images/a.qcow2");
  CHECK(loop.depth == 2);
  CHECK_FALSE(loop.complete);
  CHECK(mentions(loop.problems, "backing chain loop: /images/b.qcow2 names /images/a.qcow2"));

  const ImageChain deep = h.walk("/images/c5.qcow2", "qcow2", 3);
  CHECK(deep.depth == 3);
  CHECK_FALSE(deep.complete);
  CHECK(deep.members.back().path == "/images/c3.qcow2");
  CHECK(mentions(deep.problems,
                 "deeper than 3 images: stopped at /images/c2.qcow2 (named by /images/c3.qcow2)"));
  const ImageChain whole = h.walk("/images/c5.qcow2");
  CHECK(whole.depth == 6);
  CHECK(whole.complete);
  CHECK(whole.ok());

  const ImageChain lost = h.walk("/images/lost.qcow2");
  REQUIRE(lost.depth == 2);
  CHECK_FALSE(lost.complete);
  CHECK_FALSE(lost.ok());
  CHECK_FALSE(lost.members[1].exists);
  CHECK(lost.members[1].path == "/images/gone.qcow2");
  CHECK(lost.members[1].declared_format == "qcow2");
  CHECK(mentions(lost.members[1].problems,
                 "/images/gone.qcow2: does not exist (backing file of /images/lost.qcow2)"));
  CHECK(lost.files() == std::vector<std::string>{"/images/lost.qcow2"});

  const ImageChain none = h.walk("/images/nothing.img", "raw");
  REQUIRE(none.depth == 1);
  CHECK(mentions(none.members[0].problems, "/images/nothing.img: does not exist"));
  const ImageChain rel = h.walk("images/a.qcow2");
  CHECK(rel.depth == 0);
  CHECK(mentions(rel.problems, "not an absolute path"));
}

TEST_CASE("format mismatches: raw declared on qcow2, header format disagreeing, none recorded" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  Host h;
  h.run("qemu-img create -q -f raw disk.raw 1M && qemu-img create -q -f qcow2 base.qcow2 1M"
        " && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 trap.qcow2"
        " && qemu-img create -q -f qcow2 -b disk.raw -F raw liar.qcow2"
        " && qemu-img rebase -u -b disk.raw -F qcow2 liar.qcow2"
        " && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 nofmt.qcow2");
  // Replace the backing format extension with the end marker.
  test::patch(h.root + "/images/nofmt.qcow2", 112, test::be(qcow2_ext_end, 4));

  const ImageChain trap = h.walk("/images/trap.qcow2", "raw");
  REQUIRE(trap.depth == 1);
  const auto &t = trap.members[0];
  CHECK(t.format == ImageFormat::qcow2);
  CHECK(t.backing_name == "base.qcow2");
  CHECK(t.backing_path.empty()); // not followed
  CHECK(mentions(t.problems, "declares raw but the file starts with a qcow2 header",
                 Severity::warning));
  CHECK(mentions(t.problems, "format-probing hole", Severity::warning));

  const ImageChain liar = h.walk("/images/liar.qcow2");
  REQUIRE(liar.depth == 2);
  CHECK(liar.members[1].declared_format == "qcow2");
  CHECK(liar.members[1].format == ImageFormat::raw);
  CHECK(liar.members[1].virtual_size == 1ULL << 20U);
  CHECK(mentions(liar.members[1].problems,
                 "/images/disk.raw: the header naming it declares qcow2 but the file is raw",
                 Severity::warning));

  const ImageChain nofmt = h.walk("/images/nofmt.qcow2");
  REQUIRE(nofmt.depth == 2);
  CHECK(nofmt.members[0].backing_format.empty());
  CHECK(nofmt.members[1].declared_format.empty());
  CHECK(nofmt.members[1].format == ImageFormat::qcow2);
  CHECK(mentions(nofmt.members[1].problems, "backing format not recorded", Severity::warning));
  CHECK(nofmt.ok());

  const ImageChain undeclared = h.walk("/images/base.qcow2", "");
  CHECK(mentions(undeclared.members[0].problems, "no format declared", Severity::warning));
  const ImageChain raw = h.walk("/images/disk.raw", "");
  CHECK(raw.members[0].problems.empty());
  CHECK(raw.complete);
}

TEST_CASE("external data files, protocol backing names, symlinks and odd members" *
          doctest::test_suite("tools")) {
  if (!test::need_qemu_img()) {
    return;
  }
  Host h;
  h.run("qemu-img create -q -f qcow2 -o data_file=../base/data.raw dat.qcow2 10M"
        " && qemu-img create -q -f qcow2 -o data_file=gone.raw nodata.qcow2 10M && rm gone.raw"
        " && qemu-img create -q -f qcow2 nbd.qcow2 1M"
        " && qemu-img rebase -u -b nbd://host:10809/exp -F raw nbd.qcow2"
        " && qemu-img create -q -f qcow2 json.qcow2 1M"
        " && qemu-img rebase -u -b 'json:{\"file\":{\"driver\":\"file\"}}' -F raw json.qcow2"
        " && qemu-img create -q -f qcow2 base.qcow2 1M"
        " && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2"
        " && ln -s ../images/top.qcow2 ../links/top.qcow2"
        " && qemu-img create -q -f vmdk x.vmdk 1M && mkdir dir.img"
        " && cp top.qcow2 cut.qcow2 && truncate -s 300 cut.qcow2");

  const ImageChain dat = h.walk("/images/dat.qcow2");
  INFO(dump(dat));
  CHECK(dat.ok());
  REQUIRE(dat.members[0].data_file);
  CHECK(dat.members[0].data_file->name == "../base/data.raw");
  CHECK(dat.members[0].data_file->path == "/base/data.raw");
  CHECK(dat.members[0].data_file->exists);
  CHECK(dat.members[0].data_file->size == 10ULL << 20U);
  CHECK(dat.files() == std::vector<std::string>{"/images/dat.qcow2", "/base/data.raw"});
  const ImageChain nodata = h.walk("/images/nodata.qcow2");
  CHECK(mentions(nodata.members[0].problems, "external data file missing: /images/gone.raw"));

  const ImageChain nbd = h.walk("/images/nbd.qcow2");
  CHECK(nbd.depth == 1);
  CHECK(nbd.members[0].backing_name == "nbd://host:10809/exp");
  CHECK(nbd.members[0].backing_path.empty());
  CHECK(mentions(nbd.members[0].problems, "backing file nbd://host:10809/exp is not a local file"));
  const ImageChain json = h.walk("/images/json.qcow2");
  CHECK(json.depth == 1);
  CHECK(mentions(json.members[0].problems, "is not a local file"));

  // Through a symlink: qemu resolves the backing name against the
  // directory of the name it was given, so /links/base.qcow2.
  const ImageChain link = h.walk("/links/top.qcow2");
  REQUIRE(link.depth == 2);
  CHECK(link.members[0].real_path == "/images/top.qcow2");
  CHECK(link.members[0].type == io::FileType::regular);
  CHECK(link.members[1].path == "/links/base.qcow2");
  CHECK_FALSE(link.members[1].exists);

  const ImageChain vmdk = h.walk("/images/x.vmdk", "vmdk");
  CHECK(vmdk.members[0].format == ImageFormat::vmdk);
  CHECK(vmdk.ok()); // other formats: tests/unit/scan/other_images_test.cpp
  CHECK(mentions(vmdk.members[0].problems, "/images/x.vmdk: vmdk image", Severity::warning));
  h.run("printf 'LUKS\\272\\276' > x.luks");
  const ImageChain luks = h.walk("/images/x.luks", "raw");
  CHECK(luks.members[0].format == ImageFormat::luks);
  CHECK(luks.ok()); // declared raw: the guest's bytes
  CHECK(mentions(h.walk("/images/x.luks", "luks").members[0].problems,
                 "/images/x.luks: unsupported format luks"));
  const ImageChain dir = h.walk("/images/dir.img", "raw");
  CHECK(mentions(dir.members[0].problems, "/images/dir.img: not a regular file or block device"));
  const ImageChain cut = h.walk("/images/cut.qcow2");
  CHECK(cut.depth == 1);
  CHECK_FALSE(cut.complete);
  CHECK(mentions(cut.members[0].problems, "/images/cut.qcow2: cannot read: /images/cut.qcow2: "
                                          "qcow2 header: backing file name"));

  if (::mknod((h.root + "/images/lv").c_str(), S_IFBLK | 0600, makedev(7, 200)) == 0) {
    const ImageChain blk = h.walk("/images/lv", "raw");
    CHECK(blk.members[0].type == io::FileType::block_device);
    CHECK_FALSE(blk.members[0].format);
    CHECK(mentions(blk.members[0].problems, "block device", Severity::warning));
  }
}

TEST_CASE("protocol names are told from local ones as qemu does") {
  CHECK(is_protocol_name("nbd:localhost:10809"));
  CHECK(is_protocol_name("json:{}"));
  CHECK(is_protocol_name("http://example.org/x.img"));
  CHECK(is_protocol_name("rbd:pool/image"));
  CHECK_FALSE(is_protocol_name("base.qcow2"));
  CHECK_FALSE(is_protocol_name("/var/lib/libvirt/images/a:b.qcow2"));
  CHECK_FALSE(is_protocol_name("../x/a:b.qcow2"));
}
