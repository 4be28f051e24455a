// Path rewrites in libvirt XML: on the dead-host fixture's own domain and
// pool files (written by scripts/lib/fixture-libvirt.sh) and the
// hand-written samples in tests/data/libvirt, read back with the project's
// parser.
#include "rescue/finish/xml_rewrite.hpp"
#include "rescue/scan/domain_xml.hpp"
#include "rescue/scan/xml_doc.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/libvirt_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using kvmr::InputError;
using kvmr::finish::rewrite_domain_xml;
using kvmr::finish::rewrite_pool_xml;
using kvmr::plan::PathRewrite;
using kvmr::scan::XmlDoc;
using kvmr::scan::XmlNode;

namespace {

PathRewrite rw(std::string from, std::string to, bool block_to_file = false,
               std::string format = "") {
  PathRewrite r;
  r.from = std::move(from);
  r.to = std::move(to);
  r.block_to_file = block_to_file;
  r.new_format = std::move(format);
  return r;
}

std::string fixture_file(const kvmr::test::TempDir &dir, const std::string &rel) {
  kvmr::test::write_fixture_libvirt(dir.path().string());
  return kvmr::test::read_text(dir / rel);
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    out.push_back(l);
  }
  return out;
}

XmlNode first_disk(const XmlDoc &doc) {
  return doc.root().child("devices").child("disk");
}

} // namespace

TEST_CASE("block to file: an LV-backed disk becomes a raw file on the target") {
  kvmr::test::TempDir dir;
  const std::string xml = fixture_file(dir, "etc/libvirt/qemu/db01.xml");
  REQUIRE(xml.find("<source dev='/dev/centos/db01'/>") != std::string::npos);

  const auto res = rewrite_domain_xml(
      xml, "db01.xml",
      {rw("/dev/centos/db01", "/var/lib/libvirt/images/lv/centos-db01.img", true, "raw")});
  CHECK(res.complete());
  CHECK(res.changes == 1);

  const auto doc = XmlDoc::parse(res.text, "out");
  const auto disk = first_disk(doc);
  CHECK(disk.attr("type") == "file");
  CHECK(disk.attr("device") == "disk");
  CHECK(disk.child("source").attr("file") == "/var/lib/libvirt/images/lv/centos-db01.img");
  CHECK_FALSE(disk.child("source").attr("dev").has_value());
  CHECK(disk.child("driver").attr("type") == "raw");
  CHECK(disk.child("driver").attr("cache") == "none"); // the rest of <driver> kept
  CHECK(disk.child("target").attr("dev") == "vda");

  // The parser of the scan step reads it as a file-backed disk now.
  const auto dom = kvmr::scan::parse_domain_xml(res.text, "out");
  REQUIRE(dom.disks.size() == 1);
  CHECK(dom.disks[0].source.type == "file");
  CHECK(dom.disks[0].source.file == "/var/lib/libvirt/images/lv/centos-db01.img");
  CHECK(dom.disks[0].source.format == "raw");

  // Everything else is kept: the comment, the white space, each line but
  // the two that changed (up to libxml2's double quotes).
  CHECK(res.text.rfind("<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE.", 0) == 0);
  CHECK(res.text.find("<?xml") == std::string::npos); // none before, none added
  auto out_lines = lines(res.text);
  const auto in_lines = lines(xml);
  REQUIRE(out_lines.size() == in_lines.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < in_lines.size(); ++i) {
    std::replace(out_lines[i].begin(), out_lines[i].end(), '"', '\'');
    if (out_lines[i] != in_lines[i]) {
      ++differing;
      INFO("line " << i + 1 << ": " << in_lines[i] << " -> " << out_lines[i]);
      CHECK((in_lines[i].find("<disk") != std::string::npos ||
             in_lines[i].find("<source") != std::string::npos));
    }
  }
  CHECK(differing == 2);
}

TEST_CASE("names with quotes, spaces, $() and Japanese survive") {
  kvmr::test::TempDir dir;
  const std::string xml =
      fixture_file(dir, "etc/libvirt/qemu/" + kvmr::test::hostile_file + ".xml");
  const std::string from = "/var/lib/libvirt/images/" + kvmr::test::hostile_file + ".img";
  const std::string to =
      "/var/lib/libvirt/images/relocated/srv/it's \"new\" & <old> $(rm -rf /) ウェブ.img";

  const auto res = rewrite_domain_xml(xml, kvmr::test::hostile_file + ".xml", {rw(from, to)});
  CHECK(res.complete());
  const auto doc = XmlDoc::parse(res.text, "out");
  CHECK(doc.root().child_text("name") == kvmr::test::hostile_name);
  CHECK(first_disk(doc).child("source").attr("file") == to);
  // Escaped as XML requires, never as a shell would.
  CHECK(res.text.find("&amp; &lt;old&gt;") != std::string::npos);
  CHECK(res.text.find("$(rm -rf /) ウェブ.img") != std::string::npos);
}

TEST_CASE("backing stores, a LUN and the NVRAM of the feature sample") {
  const std::string xml = kvmr::test::read_text(kvmr::test::libvirt_data("domain-features.xml"));
  const auto res = rewrite_domain_xml(
      xml, "domain-features.xml",
      {
          rw("/var/lib/libvirt/images/lab-base.qcow2",
             "/var/lib/libvirt/images/relocated/lab-base.qcow2"),
          rw("/var/lib/libvirt/images/lab-golden.img", "/var/lib/libvirt/images/lv/golden.img",
             false, "raw"),
          rw("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4", "/dev/disk/by-id/wwn-0x5000c500ffffffff"),
          rw("/var/lib/libvirt/qemu/nvram/lab-efi_VARS.fd",
             "/var/lib/libvirt/images/relocated/nvram/lab-efi_VARS.fd"),
      });
  CHECK(res.complete());
  CHECK(res.changes == 4);

  const auto doc = XmlDoc::parse(res.text, "out");
  const auto disks = doc.root().child("devices").children("disk");
  REQUIRE(disks.size() == 6);
  // The top image is untouched; its chain members are rewritten.
  CHECK(disks[0].child("source").attr("file") == "/var/lib/libvirt/images/lab-efi.qcow2");
  const auto bs1 = disks[0].child("backingStore");
  CHECK(bs1.child("source").attr("file") == "/var/lib/libvirt/images/relocated/lab-base.qcow2");
  CHECK(bs1.child("format").attr("type") == "qcow2");
  const auto bs2 = bs1.child("backingStore");
  CHECK(bs2.child("source").attr("file") == "/var/lib/libvirt/images/lv/golden.img");
  CHECK(bs2.child("format").attr("type") == "raw");
  // A block LUN without block_to_file stays a block device.
  CHECK(disks[1].attr("type") == "block");
  CHECK(disks[1].child("source").attr("dev") == "/dev/disk/by-id/wwn-0x5000c500ffffffff");
  // NVRAM path rewritten, its template not.
  const auto nvram = doc.root().child("os").child("nvram");
  CHECK(nvram.text() == "/var/lib/libvirt/images/relocated/nvram/lab-efi_VARS.fd");
  CHECK(nvram.attr("template") == "/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd");
  // The leading comment is kept.
  CHECK(res.text.rfind("<!-- Hand-written", 0) == 0);
}

TEST_CASE("a rewrite that matches nothing is reported, and the file is returned as it was") {
  const std::string xml = kvmr::test::read_text(kvmr::test::libvirt_data("domain-features.xml"));
  const auto missing = rw("/var/lib/libvirt/images/not-there.qcow2", "/x/not-there.qcow2");
  const auto res = rewrite_domain_xml(xml, "domain-features.xml", {missing});
  CHECK_FALSE(res.complete());
  REQUIRE(res.unapplied.size() == 1);
  CHECK(res.unapplied[0].from == missing.from);
  CHECK(res.changes == 0);
  CHECK(res.text == xml); // byte for byte

  // Mixed: the one that applied is done, the other reported.
  const auto mixed = rewrite_domain_xml(
      xml, "domain-features.xml",
      {missing, rw("/var/lib/libvirt/images/lab-efi.qcow2", "/srv/lab-efi.qcow2")});
  CHECK(mixed.changes == 1);
  REQUIRE(mixed.unapplied.size() == 1);
  CHECK(mixed.unapplied[0].from == missing.from);
}

TEST_CASE("the XML declaration is kept when there is one") {
  const std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<!-- a comment -->\n"
                          "<domain type='kvm'>\n  <name>d</name>\n  <devices>\n"
                          "    <disk type='file' device='disk'>\n"
                          "      <source file='/a/b.img'/>\n"
                          "    </disk>\n  </devices>\n</domain>\n";
  const auto res = rewrite_domain_xml(xml, "d.xml", {rw("/a/b.img", "/c/b.img", false, "raw")});
  CHECK(res.text.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a comment -->\n", 0) == 0);
  const auto doc = XmlDoc::parse(res.text, "out");
  const auto disk = first_disk(doc);
  CHECK(disk.child("source").attr("file") == "/c/b.img");
  // A missing <driver> is added for the format.
  CHECK(disk.child("driver").attr("name") == "qemu");
  CHECK(disk.child("driver").attr("type") == "raw");
}

TEST_CASE("new-style <nvram><source file/></nvram> and snapshot disks") {
  const std::string xml = "<domain type='kvm'><name>d</name><os>"
                          "<nvram type='file'><source file='/old/VARS.fd'/></nvram></os>"
                          "</domain>";
  const auto res = rewrite_domain_xml(xml, "d.xml", {rw("/old/VARS.fd", "/new/VARS.fd")});
  CHECK(res.complete());
  CHECK(
      XmlDoc::parse(res.text, "o").root().child("os").child("nvram").child("source").attr("file") ==
      "/new/VARS.fd");

  const std::string snap =
      "<domainsnapshot><name>s</name><disks>"
      "<disk name='vda' snapshot='external' type='file'><source file='/old/ov.qcow2'/></disk>"
      "</disks><domain type='kvm'><name>d</name><devices>"
      "<disk type='file' device='disk'><source file='/old/ov.qcow2'/></disk>"
      "</devices></domain></domainsnapshot>";
  const auto s = rewrite_domain_xml(snap, "s.xml", {rw("/old/ov.qcow2", "/new/ov.qcow2")});
  CHECK(s.complete());
  CHECK(s.changes == 2);
  CHECK(s.text.find("/old/") == std::string::npos);
}

TEST_CASE("pool XML: the target path") {
  kvmr::test::TempDir dir;
  const std::string xml = fixture_file(dir, "etc/libvirt/storage/default.xml");
  const auto res = rewrite_pool_xml(
      xml, "default.xml", {rw("/var/lib/libvirt/images", "/var/lib/libvirt/images/relocated")});
  CHECK(res.complete());
  const auto doc = XmlDoc::parse(res.text, "out");
  CHECK(doc.root().child("target").child_text("path") == "/var/lib/libvirt/images/relocated");

  const std::string logical = kvmr::test::read_text(kvmr::test::libvirt_data("pool-logical.xml"));
  const auto none = rewrite_pool_xml(logical, "pool-logical.xml", {rw("/dev/sdb1", "/dev/sdz1")});
  CHECK(none.unapplied.size() == 1); // only <target><path> is a rewritten path
  CHECK(none.text == logical);
}

TEST_CASE("errors name the file") {
  const std::vector<PathRewrite> one{rw("/a", "/b")};
  auto message = [](auto f) {
    try {
      f();
    } catch (const InputError &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message([&] {
          (void)rewrite_domain_xml("<domain><name>", "/x/broken.xml", one);
        }).rfind("/x/broken.xml:", 0) == 0);
  CHECK(message([&] {
          (void)rewrite_domain_xml("<pool/>", "/x/pool.xml", one);
        }).find("/x/pool.xml: not a domain XML file") != std::string::npos);
  CHECK(message([&] {
          (void)rewrite_pool_xml("<domain/>", "/x/d.xml", one);
        }).find("/x/d.xml: not a storage pool") != std::string::npos);
  CHECK(message([&] {
          (void)rewrite_domain_xml("<domain/>", "/x/d.xml", {rw("/a", "")});
        }).find("/x/d.xml: a path rewrite with an empty new path") != std::string::npos);
  CHECK(message([&] {
          (void)rewrite_domain_xml("<domain/>", "/x/d.xml", {rw("/a", "/b"), rw("/a", "/c")});
        }).find("/x/d.xml: two different rewrites of /a") != std::string::npos);
  // The same rewrite twice is harmless.
  CHECK(rewrite_domain_xml("<domain/>", "/x/d.xml", {rw("/a", "/b"), rw("/a", "/b")})
            .unapplied.size() == 2);
}

TEST_CASE("a renamed VM's domain and snapshot XML carry its safe name") {
  const std::string dom =
      "<domain type='kvm'>\n  <name>app\n01</name>\n  <uuid>x</uuid>\n</domain>\n";
  const auto r = kvmr::finish::rename_domain_xml(dom, "/etc/libvirt/qemu/app.xml", "app_01");
  CHECK(r.changes == 1);
  CHECK(r.text.find("<name>app_01</name>") != std::string::npos);
  CHECK(r.text.find("<uuid>x</uuid>") != std::string::npos);
  const std::string snap = "<domainsnapshot>\n  <name>first</name>\n  <domain type='kvm'>\n"
                           "    <name>app\n01</name>\n  </domain>\n</domainsnapshot>\n";
  const auto s = kvmr::finish::rename_domain_xml(snap, "first.xml", "app_01");
  CHECK(s.text.find("<name>first</name>") != std::string::npos); // the snapshot's own name
  CHECK(s.text.find("<name>app_01</name>") != std::string::npos);
  // Already the name: byte for byte as it was.
  const std::string same = "<domain type='kvm'><name>web01</name></domain>\n";
  CHECK(kvmr::finish::rename_domain_xml(same, "web01.xml", "web01").text == same);
  CHECK(kvmr::finish::rename_domain_xml(same, "web01.xml", "web01").changes == 0);
}
