// XmlDoc: untrusted XML is parsed without network, DTD or entity expansion,
// and errors come back as InputError naming the file and line, never on
// stderr.
#include "rescue/scan/domain_xml.hpp"
#include "rescue/scan/xml_doc.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/libvirt_fixture.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <unistd.h>

using kvmr::InputError;
using kvmr::scan::parse_domain_xml;
using kvmr::scan::XmlDoc;
using kvmr::scan::XmlNode;

namespace {

// What F wrote to file descriptor 2 while it ran.
template <class F> std::string stderr_of(F f) {
  kvmr::test::TempDir dir;
  const std::string path = dir / "stderr";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  std::fflush(stderr);
  const int saved = ::dup(2);
  ::dup2(fd, 2);
  try {
    f();
  } catch (...) {
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(fd);
    throw;
  }
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  return kvmr::test::read_text(path);
}

// The message of the InputError F throws ("" when it throws none).
template <class F> std::string input_error(F f) {
  try {
    f();
  } catch (const InputError &e) {
    return e.what();
  }
  return "";
}

const char *const minimal_tail = "<memory unit='KiB'>1024</memory></domain>";

} // namespace

TEST_CASE("XmlNode reads children, attributes and text") {
  const XmlDoc doc = XmlDoc::parse("<a x='1' y='&amp;&lt;'>\n"
                                   "  <b n='one'>t1<![CDATA[<cdata>]]>t2</b>\n"
                                   "  <c/>\n"
                                   "  <b n='two'/>\n"
                                   "  <q:b xmlns:q='urn:q' n='ns'/>\n"
                                   "</a>\n",
                                   "t.xml");
  const XmlNode a = doc.root();
  CHECK(a.name() == "a");
  CHECK(a.attr("x") == "1");
  CHECK(a.attr("y") == "&<");
  CHECK_FALSE(a.attr("z").has_value());
  CHECK(a.attr_or("z", "dflt") == "dflt");
  CHECK(a.child("b").attr("n") == "one");
  CHECK(a.child("b").text() == "t1<cdata>t2");
  CHECK(a.child("b").line() == 2);
  CHECK(a.child_text("c") == "");
  CHECK_FALSE(a.child_text("d").has_value());
  // Only namespace-free elements match: <q:b> is someone else's.
  const auto bs = a.children("b");
  REQUIRE(bs.size() == 2);
  CHECK(bs[1].attr("n") == "two");
  // A null node answers everything with nothing.
  const XmlNode none = a.child("missing");
  CHECK_FALSE(none);
  CHECK(none.child("x").children("y").empty());
  CHECK_FALSE(none.attr("x").has_value());
  CHECK(none.text().empty());
}

TEST_CASE("a malformed file is an InputError with file, line and the parser's message, "
          "and nothing on stderr") {
  std::string msg;
  const std::string err = stderr_of([&] {
    msg = input_error([] {
      (void)XmlDoc::parse("<domain>\n  <name>x</name>\n  <memory>1</memroy>\n</domain>\n",
                          "/etc/libvirt/qemu/bad.xml");
    });
  });
  CHECK(msg.find("/etc/libvirt/qemu/bad.xml:3: ") == 0);
  CHECK(msg.find("mismatch") != std::string::npos);
  CHECK(err.empty());

  CHECK(input_error([] { (void)XmlDoc::parse("", "empty.xml"); }).find("empty.xml") == 0);
  CHECK(input_error([] { (void)XmlDoc::parse("just text", "text.xml"); }).find("text.xml:1: ") ==
        0);
  CHECK(input_error([] { (void)XmlDoc::parse("<a></a><b/>", "two.xml"); }).find("two.xml:1: ") ==
        0);
}

TEST_CASE("an external entity (XXE) is never read") {
  kvmr::test::TempDir dir;
  const std::string secret = dir / "secret.txt";
  kvmr::test::write_text(secret, "TOP-SECRET-CONTENT");
  const std::string xml = "<?xml version='1.0'?>\n"
                          "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://" +
                          secret +
                          "'>]>\n"
                          "<domain type='kvm'><name>web&x;01</name>"
                          "<title>&x;</title>" +
                          minimal_tail;
  std::string err = stderr_of([&] {
    const auto d = parse_domain_xml(xml, "xxe.xml");
    CHECK(d.name == "web01");
    CHECK(d.title.empty());
    CHECK(d.xml.find("TOP-SECRET") == std::string::npos);
  });
  CHECK(err.empty());

  // In an attribute, an external entity breaks well-formedness.
  const std::string attr = "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://" + secret +
                           "'>]>\n<domain><name>a</name><devices><disk type='file'>"
                           "<source file='&x;'/></disk></devices>" +
                           minimal_tail;
  const std::string msg = input_error([&] { (void)parse_domain_xml(attr, "attr.xml"); });
  CHECK(msg.find("attr.xml:2: ") == 0);
  CHECK(msg.find("TOP-SECRET") == std::string::npos);

  // A parameter entity pulling in an external DTD is not loaded either.
  const std::string pe = "<!DOCTYPE domain [<!ENTITY % p SYSTEM 'file://" + secret +
                         "'> %p;]>\n<domain><name>a</name>" + minimal_tail;
  err = stderr_of([&] {
    try {
      const auto d = parse_domain_xml(pe, "pe.xml");
      CHECK(d.name == "a");
    } catch (const InputError &e) {
      CHECK(std::string(e.what()).find("TOP-SECRET") == std::string::npos);
    }
  });
  CHECK(err.empty());
}

TEST_CASE("internal entities are not substituted; a billion laughs is refused quickly") {
  const auto d = parse_domain_xml("<!DOCTYPE domain [<!ENTITY e 'EXPANDED'>]>\n"
                                  "<domain type='kvm'><name>a&e;b</name>" +
                                      std::string(minimal_tail),
                                  "entity.xml");
  CHECK(d.name == "ab");

  // A DTD's default attribute is not applied either.
  const auto dflt = parse_domain_xml("<!DOCTYPE domain [<!ATTLIST disk device CDATA 'cdrom'>]>\n"
                                     "<domain><name>a</name><devices><disk type='file'/>"
                                     "</devices>" +
                                         std::string(minimal_tail),
                                     "attlist.xml");
  REQUIRE(dflt.disks.size() == 1);
  CHECK(dflt.disks[0].device == "disk");

  std::string laughs = "<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY l0 'lol'>\n";
  for (int i = 1; i <= 9; ++i) {
    laughs += "<!ENTITY l" + std::to_string(i) + " '";
    for (int j = 0; j < 10; ++j) {
      laughs += "&l" + std::to_string(i - 1) + ";";
    }
    laughs += "'>\n";
  }
  laughs += "]>\n<domain><name>&l9;</name>" + std::string(minimal_tail);
  const auto start = std::chrono::steady_clock::now();
  std::string msg;
  const std::string err = stderr_of([&] {
    msg = input_error([&] {
      const auto dom = parse_domain_xml(laughs, "laughs.xml");
      CHECK(dom.name.find("lol") == std::string::npos);
    });
  });
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(err.empty());
  if (!msg.empty()) {
    CHECK(msg.find("laughs.xml:") == 0);
  }
}
