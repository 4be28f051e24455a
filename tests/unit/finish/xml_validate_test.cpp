// virt-xml-validate on the hand-written samples, on the fixture's domain
// files before and after a rewrite, and on files that must fail.
#include "rescue/finish/xml_rewrite.hpp"
#include "rescue/finish/xml_validate.hpp"
#include "unit/finish/finish_fixture.hpp"
#include "unit/scan/libvirt_fixture.hpp"

#include <doctest/doctest.h>

using kvmr::finish::rewrite_domain_xml;
using kvmr::finish::rewrite_pool_xml;
using kvmr::finish::validate_libvirt_xml;
using kvmr::finish::Validity;
using kvmr::finish::XmlKind;
using kvmr::plan::PathRewrite;

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

} // namespace

TEST_CASE("the samples validate as their kind" * doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("virt-xml-validate")) {
    return;
  }
  const std::pair<const char *, XmlKind> samples[] = {
      {"domain-features.xml", XmlKind::domain},
      {"network-isolated.xml", XmlKind::network},
      {"pool-logical.xml", XmlKind::pool},
      {"secret-volume.xml", XmlKind::secret},
      {"snapshot-after-upgrade.xml", XmlKind::domainsnapshot},
  };
  for (const auto &sample : samples) {
    const auto r = validate_libvirt_xml(kvmr::test::libvirt_data(sample.first), sample.second);
    INFO(sample.first << ": " << r.message);
    CHECK(r.status == Validity::ok);
    CHECK(r.ok());
  }
}

TEST_CASE("rewritten fixture files still validate: block to file, relocated, hostile name" *
          doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("virt-xml-validate")) {
    return;
  }
  kvmr::test::TempDir dir;
  kvmr::test::write_fixture_libvirt(dir.path().string());
  const std::string qemu = dir / "etc/libvirt/qemu/";

  struct Case {
    std::string file;
    PathRewrite rewrite;
  };
  const Case cases[] = {
      {"db01.xml",
       rw("/dev/centos/db01", "/var/lib/libvirt/images/lv/centos-db01.img", true, "raw")},
      {"app01.xml", rw("/var/lib/libvirt/qemu/nvram/app01_VARS.fd",
                       "/var/lib/libvirt/images/kvm-rescue/nvram/app01_VARS.fd")},
      {kvmr::test::hostile_file + ".xml",
       rw("/var/lib/libvirt/images/" + kvmr::test::hostile_file + ".img",
          "/var/lib/libvirt/images/relocated/it's \"new\" & $(x) ウェブ.img")},
  };
  for (const auto &c : cases) {
    INFO(c.file);
    const std::string in = qemu + c.file;
    REQUIRE(validate_libvirt_xml(in, XmlKind::domain).ok());
    const auto res = rewrite_domain_xml(kvmr::test::read_text(in), in, {c.rewrite});
    REQUIRE(res.complete());
    const std::string out = dir / ("out-" + c.file);
    kvmr::test::write_text(out, res.text);
    const auto v = validate_libvirt_xml(out, XmlKind::domain);
    INFO(v.message);
    CHECK(v.ok());
  }

  const std::string pool = dir / "etc/libvirt/storage/default.xml";
  const auto res = rewrite_pool_xml(kvmr::test::read_text(pool), pool,
                                    {rw("/var/lib/libvirt/images", "/srv/images")});
  REQUIRE(res.complete());
  kvmr::test::write_text(dir / "out-pool.xml", res.text);
  CHECK(validate_libvirt_xml(dir / "out-pool.xml", XmlKind::pool).ok());
}

TEST_CASE("broken files fail, and the message names them" * doctest::test_suite("tools")) {
  if (!kvmr::test::have_or_skip("virt-xml-validate")) {
    return;
  }
  kvmr::test::TempDir dir;
  const std::string domain = kvmr::test::read_text(kvmr::test::libvirt_data("domain-features.xml"));

  // Not well-formed.
  const std::string cut = dir / "cut.xml";
  kvmr::test::write_text(cut, domain.substr(0, domain.size() / 2));
  auto r = validate_libvirt_xml(cut, XmlKind::domain);
  CHECK(r.status == Validity::invalid);
  CHECK(r.message.find(cut) != std::string::npos);

  // Well-formed but not a domain: a disk type libvirt does not know.
  std::string bad = domain;
  const auto at = bad.find("<disk type='block'");
  REQUIRE(at != std::string::npos);
  bad.replace(at, 18, "<disk type='brick'");
  const std::string brick = dir / "brick.xml";
  kvmr::test::write_text(brick, bad);
  r = validate_libvirt_xml(brick, XmlKind::domain);
  CHECK(r.status == Validity::invalid);
  CHECK(r.message.find(brick) != std::string::npos);
  CHECK(r.message.find("domain") != std::string::npos);

  // A valid domain is not a valid pool.
  CHECK(
      validate_libvirt_xml(kvmr::test::libvirt_data("domain-features.xml"), XmlKind::pool).status ==
      Validity::invalid);

  // A file that is not there.
  r = validate_libvirt_xml(dir / "missing.xml", XmlKind::domain);
  CHECK(r.status == Validity::invalid);
  CHECK(r.message.find("missing.xml") != std::string::npos);
}

TEST_CASE("without virt-xml-validate the answer is not_available, never ok") {
  const kvmr::test::EmptyPath no_tools;
  const auto r =
      validate_libvirt_xml(kvmr::test::libvirt_data("domain-features.xml"), XmlKind::domain);
  CHECK(r.status == Validity::not_available);
  CHECK_FALSE(r.ok());
  CHECK(r.message.find("virt-xml-validate is not installed") != std::string::npos);
}
