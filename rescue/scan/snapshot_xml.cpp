// Domain snapshot metadata parser (see snapshot_xml.hpp).
#include "rescue/scan/snapshot_xml.hpp"

#include "rescue/scan/xml_doc.hpp"

#include <fmt/format.h>

#include <charconv>

namespace kvmr::scan {

DomainSnapshot parse_snapshot_xml(std::string_view text, const std::string &file) {
  const XmlDoc doc = XmlDoc::parse(text, file);
  const XmlNode root = doc.root();
  if (root.name() != "domainsnapshot") {
    doc.fail(fmt::format("root element is <{}>, not <domainsnapshot>", root.name()), root);
  }
  DomainSnapshot s;
  s.xml = std::string(text);
  s.name = std::string(xml_trim(root.child_text("name").value_or("")));
  if (s.name.empty()) {
    doc.fail("the snapshot has no <name>", root);
  }
  s.domain_name = std::string(xml_trim(root.child("domain").child_text("name").value_or("")));
  s.state = std::string(xml_trim(root.child_text("state").value_or("")));
  s.parent = std::string(xml_trim(root.child("parent").child_text("name").value_or("")));
  s.description = root.child_text("description").value_or("");
  s.memory = root.child("memory").attr_or("snapshot", "");
  s.current = xml_trim(root.child_text("active").value_or("")) == "1";
  if (const XmlNode ct = root.child("creationTime")) {
    const std::string raw = ct.text(); // t views into it
    const std::string_view t = xml_trim(raw);
    std::int64_t v = 0;
    const auto res = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || res.ec != std::errc() || res.ptr != t.data() + t.size()) {
      doc.fail(fmt::format("<creationTime>{}</creationTime>: not a number", t), ct);
    }
    s.creation_time = v;
  }
  for (const XmlNode d : root.child("disks").children("disk")) {
    s.disks.push_back(
        {d.attr_or("name", ""), d.attr_or("snapshot", ""), d.child("source").attr_or("file", "")});
  }
  return s;
}

} // namespace kvmr::scan
