// Network XML parser (see network_xml.hpp).
#include "rescue/scan/network_xml.hpp"

#include "rescue/scan/xml_doc.hpp"

#include <fmt/format.h>

#include <charconv>

namespace kvmr::scan {

namespace {

NetworkIp read_ip(const XmlDoc &doc, XmlNode n) {
  NetworkIp ip;
  ip.family = n.attr_or("family", "ipv4");
  ip.address = n.attr_or("address", "");
  ip.netmask = n.attr_or("netmask", "");
  if (const auto p = n.attr("prefix")) {
    unsigned v = 0;
    const std::string_view s = xml_trim(*p);
    const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size() || v > 128) {
      doc.fail(fmt::format("<ip prefix='{}'>: not a prefix length", *p), n);
    }
    ip.prefix = v;
  }
  const XmlNode dhcp = n.child("dhcp");
  for (const XmlNode r : dhcp.children("range")) {
    ip.ranges.push_back({r.attr_or("start", ""), r.attr_or("end", "")});
  }
  for (const XmlNode h : dhcp.children("host")) {
    ip.hosts.push_back({h.attr_or("mac", ""), h.attr_or("name", ""), h.attr_or("ip", "")});
  }
  return ip;
}

} // namespace

Network parse_network_xml(std::string_view text, const std::string &file) {
  const XmlDoc doc = XmlDoc::parse(text, file);
  const XmlNode root = doc.root();
  if (root.name() != "network") {
    doc.fail(fmt::format("root element is <{}>, not <network>", root.name()), root);
  }
  Network net;
  net.xml = std::string(text);
  net.name = std::string(xml_trim(root.child_text("name").value_or("")));
  if (net.name.empty()) {
    doc.fail("the network has no <name>", root);
  }
  net.uuid = std::string(xml_trim(root.child_text("uuid").value_or("")));
  if (const XmlNode fwd = root.child("forward")) {
    net.forward_mode = fwd.attr_or("mode", "nat");
    net.forward_dev = fwd.attr_or("dev", "");
  }
  net.bridge = root.child("bridge").attr_or("name", "");
  net.mac = root.child("mac").attr_or("address", "");
  for (const XmlNode n : root.children("ip")) {
    net.ips.push_back(read_ip(doc, n));
  }
  return net;
}

} // namespace kvmr::scan
