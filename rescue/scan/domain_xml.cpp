// Domain XML parser (see domain_xml.hpp).
#include "rescue/scan/domain_xml.hpp"

#include "rescue/scan/xml_doc.hpp"
#include "rescue/util/ascii.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>

namespace kvmr::scan {

namespace {

template <class Int> std::optional<Int> to_int(std::string_view s) {
  s = xml_trim(s);
  Int v{};
  const auto *end = s.data() + s.size();
  const auto res = std::from_chars(s.data(), end, v);
  if (s.empty() || res.ec != std::errc() || res.ptr != end) {
    return std::nullopt;
  }
  return v;
}

bool yes(const std::optional<std::string> &v) {
  return v && *v == "yes";
}

// "yes"/"no" attribute of libvirt, or absent; anything else is refused.
bool yes_no(const XmlDoc &doc, XmlNode n, std::string_view name) {
  const auto v = n.attr(name);
  if (v && *v != "yes" && *v != "no") {
    doc.fail(fmt::format("<{} {}='{}'>: expected yes or no", n.name(), name, *v), n);
  }
  return yes(v);
}

std::uint64_t memory_of(const XmlDoc &doc, XmlNode n) {
  try {
    return scale_to_bytes(n.text(), n.attr_or("unit", ""), "KiB", "<" + n.name() + ">");
  } catch (const InputError &e) {
    doc.fail(e.what(), n);
  }
}

// The <source> of a <disk> or <backingStore> into SRC (type already set).
void read_source(XmlNode src, DiskSource &out) {
  if (!src) {
    return;
  }
  out.file = src.attr_or("file", "");
  out.dev = src.attr_or("dev", "");
  out.dir = src.attr_or("dir", "");
  out.pool = src.attr_or("pool", "");
  out.volume = src.attr_or("volume", "");
  out.protocol = src.attr_or("protocol", "");
  out.name = src.attr_or("name", "");
}

Disk read_disk(XmlNode n) {
  Disk d;
  d.device = n.attr_or("device", "disk");
  d.source.type = n.attr_or("type", "");
  if (const XmlNode drv = n.child("driver")) {
    d.driver_name = drv.attr_or("name", "");
    d.source.format = drv.attr_or("type", "");
  }
  read_source(n.child("source"), d.source);
  if (const XmlNode src = n.child("source")) {
    d.startup_policy = src.attr_or("startupPolicy", "");
  }
  // <backingStore/> without a type ends the chain.
  XmlNode bs = n.child("backingStore");
  for (int depth = 0; bs && bs.attr("type") && depth < 64; ++depth) {
    DiskSource s;
    s.type = bs.attr_or("type", "");
    if (const XmlNode fmt = bs.child("format")) {
      s.format = fmt.attr_or("type", "");
    }
    read_source(bs.child("source"), s);
    d.backing.push_back(std::move(s));
    bs = bs.child("backingStore");
  }
  if (const XmlNode t = n.child("target")) {
    d.target_dev = t.attr_or("dev", "");
    d.target_bus = t.attr_or("bus", "");
  }
  d.readonly = static_cast<bool>(n.child("readonly"));
  d.shareable = static_cast<bool>(n.child("shareable"));
  return d;
}

Interface read_interface(XmlNode n) {
  Interface i;
  i.type = n.attr_or("type", "");
  if (const XmlNode mac = n.child("mac")) {
    i.mac = mac.attr_or("address", "");
  }
  if (const XmlNode src = n.child("source")) {
    i.source_bridge = src.attr_or("bridge", "");
    i.source_network = src.attr_or("network", "");
    i.source_dev = src.attr_or("dev", "");
    i.source_mode = src.attr_or("mode", "");
  }
  if (const XmlNode model = n.child("model")) {
    i.model = model.attr_or("type", "");
  }
  return i;
}

Graphics read_graphics(const XmlDoc &doc, XmlNode n) {
  Graphics g;
  g.type = n.attr_or("type", "");
  if (const auto port = n.attr("port")) {
    g.port = to_int<int>(*port);
    if (!g.port) {
      doc.fail(fmt::format("<graphics port='{}'>: not a number", *port), n);
    }
  }
  g.autoport = yes_no(doc, n, "autoport");
  g.listen = n.attr_or("listen", "");
  if (g.listen.empty()) {
    if (const XmlNode l = n.child("listen")) {
      g.listen = l.attr_or("address", "");
    }
  }
  return g;
}

Nvram read_nvram(XmlNode nv) {
  Nvram out;
  out.type = nv.attr_or("type", "file");
  out.template_path = nv.attr_or("template", "");
  const XmlNode src = nv.child("source");
  if (!src) {
    out.path = std::string(xml_trim(nv.text()));
  } else if (out.type == "network") {
    out.network = fmt::format("{} {}", src.attr_or("protocol", "?"), src.attr_or("name", ""));
  } else {
    out.path = src.attr_or(out.type == "block" ? "dev" : "file", "");
  }
  return out;
}

void read_os(const XmlDoc &doc, XmlNode os, Domain &d) {
  if (!os) {
    return;
  }
  d.firmware = os.attr_or("firmware", "");
  if (const XmlNode t = os.child("type")) {
    d.os_type = std::string(xml_trim(t.text()));
    d.arch = t.attr_or("arch", "");
    d.machine = t.attr_or("machine", "");
  }
  if (const XmlNode l = os.child("loader")) {
    Loader loader;
    loader.path = std::string(xml_trim(l.text()));
    loader.readonly = yes_no(doc, l, "readonly");
    loader.type = l.attr_or("type", "");
    loader.secure = yes_no(doc, l, "secure");
    d.loader = std::move(loader);
  }
  if (const XmlNode nv = os.child("nvram")) {
    d.nvram = read_nvram(nv);
  }
}

} // namespace

const std::string &DiskSource::path() const {
  if (!file.empty()) {
    return file;
  }
  if (!dev.empty()) {
    return dev;
  }
  return dir;
}

bool Domain::uefi() const {
  return firmware == "efi" || (loader && loader->type == "pflash") || nvram.has_value();
}

std::uint64_t scale_to_bytes(std::string_view number, std::string_view unit,
                             std::string_view default_unit, const std::string &what) {
  const auto value = to_int<std::uint64_t>(number);
  if (!value) {
    throw InputError(fmt::format("{}: '{}' is not a number", what, xml_trim(number)));
  }
  const std::string u = ascii_lower(std::string(unit.empty() ? default_unit : unit));
  std::uint64_t scale = 1;
  if (u != "b" && u != "byte" && u != "bytes") {
    std::uint64_t base = 0;
    if (u.size() == 1 || (u.size() == 3 && u.substr(1) == "ib")) {
      base = 1024;
    } else if (u.size() == 2 && u[1] == 'b') {
      base = 1000;
    }
    const std::string_view powers = "kmgtpe";
    const auto power = u.empty() ? std::string_view::npos : powers.find(u[0]);
    if (base == 0 || power == std::string_view::npos) {
      throw InputError(fmt::format("{}: unknown unit '{}'", what, unit));
    }
    for (std::size_t i = 0; i <= power; ++i) {
      scale *= base;
    }
  }
  if (*value > std::numeric_limits<std::uint64_t>::max() / scale) {
    throw InputError(fmt::format("{}: {} {} is too large", what, xml_trim(number), unit));
  }
  return *value * scale;
}

Domain parse_domain_xml(std::string_view text, const std::string &file) {
  const XmlDoc doc = XmlDoc::parse(text, file);
  const XmlNode root = doc.root();
  if (root.name() != "domain") {
    doc.fail(fmt::format("root element is <{}>, not <domain>", root.name()), root);
  }
  Domain d;
  d.xml = std::string(text);
  d.type = root.attr_or("type", "");
  d.name = std::string(xml_trim(root.child_text("name").value_or("")));
  if (d.name.empty()) {
    doc.fail("the domain has no <name>", root);
  }
  d.uuid = std::string(xml_trim(root.child_text("uuid").value_or("")));
  d.title = root.child_text("title").value_or("");

  const XmlNode mem = root.child("memory");
  if (!mem) {
    doc.fail("the domain has no <memory>", root);
  }
  d.memory_bytes = memory_of(doc, mem);
  const XmlNode cur = root.child("currentMemory");
  d.current_memory_bytes = cur ? memory_of(doc, cur) : d.memory_bytes;

  d.vcpus = 1;
  if (const XmlNode v = root.child("vcpu")) {
    const auto n = to_int<unsigned>(v.text());
    if (!n) {
      doc.fail(fmt::format("<vcpu>{}</vcpu>: not a number", xml_trim(v.text())), v);
    }
    d.vcpus = *n;
  }
  d.current_vcpus = d.vcpus;
  if (const XmlNode v = root.child("vcpu"); v && v.attr("current")) {
    const auto n = to_int<unsigned>(*v.attr("current"));
    if (!n) {
      doc.fail(fmt::format("<vcpu current='{}'>: not a number", *v.attr("current")), v);
    }
    d.current_vcpus = *n;
  }

  read_os(doc, root.child("os"), d);
  const XmlNode devices = root.child("devices");
  for (const XmlNode n : devices.children("disk")) {
    d.disks.push_back(read_disk(n));
  }
  for (const XmlNode n : devices.children("interface")) {
    d.interfaces.push_back(read_interface(n));
  }
  for (const XmlNode n : devices.children("graphics")) {
    d.graphics.push_back(read_graphics(doc, n));
  }
  return d;
}

} // namespace kvmr::scan
