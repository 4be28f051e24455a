// Storage pool XML parser (see pool_xml.hpp).
#include "rescue/scan/pool_xml.hpp"

#include "rescue/scan/xml_doc.hpp"

#include <fmt/format.h>

namespace kvmr::scan {

StoragePool parse_pool_xml(std::string_view text, const std::string &file) {
  const XmlDoc doc = XmlDoc::parse(text, file);
  const XmlNode root = doc.root();
  if (root.name() != "pool") {
    doc.fail(fmt::format("root element is <{}>, not <pool>", root.name()), root);
  }
  StoragePool p;
  p.xml = std::string(text);
  p.type = root.attr_or("type", "");
  p.name = std::string(xml_trim(root.child_text("name").value_or("")));
  if (p.name.empty()) {
    doc.fail("the pool has no <name>", root);
  }
  p.uuid = std::string(xml_trim(root.child_text("uuid").value_or("")));
  p.target_path = std::string(xml_trim(root.child("target").child_text("path").value_or("")));
  const XmlNode src = root.child("source");
  for (const XmlNode d : src.children("device")) {
    p.source_devices.push_back(d.attr_or("path", ""));
  }
  p.source_name = std::string(xml_trim(src.child_text("name").value_or("")));
  p.source_dir = src.child("dir").attr_or("path", "");
  for (const XmlNode h : src.children("host")) {
    p.source_hosts.push_back(h.attr_or("name", ""));
  }
  p.source_format = src.child("format").attr_or("type", "");
  return p;
}

} // namespace kvmr::scan
