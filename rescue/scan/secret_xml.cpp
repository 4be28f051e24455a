// Secret XML parser (see secret_xml.hpp).
#include "rescue/scan/secret_xml.hpp"

#include "rescue/scan/xml_doc.hpp"

#include <fmt/format.h>

namespace kvmr::scan {

Secret parse_secret_xml(std::string_view text, const std::string &file) {
  const XmlDoc doc = XmlDoc::parse(text, file);
  const XmlNode root = doc.root();
  if (root.name() != "secret") {
    doc.fail(fmt::format("root element is <{}>, not <secret>", root.name()), root);
  }
  Secret s;
  s.uuid = std::string(xml_trim(root.child_text("uuid").value_or("")));
  if (s.uuid.empty()) {
    doc.fail("the secret has no <uuid>", root);
  }
  s.ephemeral = root.attr_or("ephemeral", "no") == "yes";
  s.is_private = root.attr_or("private", "no") == "yes";
  s.description = root.child_text("description").value_or("");
  if (const XmlNode usage = root.child("usage")) {
    s.usage_type = usage.attr_or("type", "");
    const char *id_element = s.usage_type == "volume"  ? "volume"
                             : s.usage_type == "iscsi" ? "target"
                                                       : "name";
    s.usage_id = std::string(xml_trim(usage.child_text(id_element).value_or("")));
  }
  return s;
}

} // namespace kvmr::scan
