// Path rewrites in libvirt XML (see xml_rewrite.hpp).
#include "rescue/finish/xml_rewrite.hpp"

#include "rescue/scan/xml_doc.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include <memory>

namespace kvmr::finish {

namespace {

const xmlChar *xc(const char *s) {
  return reinterpret_cast<const xmlChar *>(s);
}

std::string_view as_view(const xmlChar *s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char *>(s));
}

bool is_element(const xmlNode *n, std::string_view name) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns == nullptr &&
         as_view(n->name) == name;
}

xmlNode *first_child(xmlNode *n, std::string_view name) {
  for (xmlNode *c = n->children; c != nullptr; c = c->next) {
    if (is_element(c, name)) {
      return c;
    }
  }
  return nullptr;
}

// An attribute written on the element (no namespace), or null.
xmlAttr *find_attr(xmlNode *n, std::string_view name) {
  for (xmlAttr *a = n->properties; a != nullptr; a = a->next) {
    if (a->ns == nullptr && as_view(a->name) == name) {
      return a;
    }
  }
  return nullptr;
}

void set_attr(xmlNode *n, const char *name, const std::string &value) {
  // xmlSetProp stores VALUE as plain text: '&', '<' and quotes in it are
  // escaped when the document is written.
  if (xmlSetProp(n, xc(name), xc(value.c_str())) == nullptr) {
    throw std::bad_alloc();
  }
}

// Replaces N's children by one text node holding TEXT.
void set_text(xmlNode *n, const std::string &text) {
  xmlNode *c = n->children;
  while (c != nullptr) {
    xmlNode *next = c->next;
    xmlUnlinkNode(c);
    xmlFreeNode(c);
    c = next;
  }
  xmlNode *t = xmlNewDocText(n->doc, xc(text.c_str()));
  if (t == nullptr || xmlAddChild(n, t) == nullptr) {
    xmlFreeNode(t);
    throw std::bad_alloc();
  }
}

class Rewriter {
public:
  Rewriter(const scan::XmlDoc &doc, const std::vector<plan::PathRewrite> &rewrites)
      : doc_(doc), rewrites_(rewrites), used_(rewrites.size(), false) {
    for (std::size_t i = 0; i < rewrites_.size(); ++i) {
      const auto &r = rewrites_[i];
      if (r.from.empty() || (r.to.empty() && !r.eject)) {
        doc_.fail(fmt::format("a path rewrite with an empty {} path ({} -> {})",
                              r.from.empty() ? "old" : "new", r.from, r.to));
      }
      for (std::size_t j = 0; j < i; ++j) {
        const auto &o = rewrites_[j];
        if (o.from == r.from && (o.to != r.to || o.block_to_file != r.block_to_file ||
                                 o.new_format != r.new_format || o.eject != r.eject)) {
          doc_.fail(
              fmt::format("two different rewrites of {}: to {} and to {}", r.from, o.to, r.to));
        }
      }
    }
  }

  // Every <disk> and <nvram> below N.
  void walk(xmlNode *n) {
    for (xmlNode *c = n->children; c != nullptr; c = c->next) {
      if (is_element(c, "disk")) {
        storage(c, "driver");
      } else if (is_element(c, "nvram")) {
        nvram(c);
      } else if (c->type == XML_ELEMENT_NODE) {
        walk(c);
      }
    }
  }

  void pool(xmlNode *root) {
    xmlNode *target = first_child(root, "target");
    xmlNode *path = target == nullptr ? nullptr : first_child(target, "path");
    if (path != nullptr) {
      text_path(path);
    }
  }

  [[nodiscard]] std::size_t changes() const { return changes_; }

  [[nodiscard]] std::vector<plan::PathRewrite> unapplied() const {
    std::vector<plan::PathRewrite> out;
    for (std::size_t i = 0; i < rewrites_.size(); ++i) {
      if (!used_[i]) {
        out.push_back(rewrites_[i]);
      }
    }
    return out;
  }

private:
  const plan::PathRewrite *match(std::string_view path) {
    for (std::size_t i = 0; i < rewrites_.size(); ++i) {
      if (rewrites_[i].from == path) {
        used_[i] = true;
        return &rewrites_[i];
      }
    }
    return nullptr;
  }

  // A <disk> or <backingStore> (FORMAT_CHILD: "driver" or "format"), then
  // the <backingStore> elements inside it.
  void storage(xmlNode *el, const char *format_child) {
    if (xmlNode *source = first_child(el, "source"); source != nullptr) {
      xmlAttr *file = find_attr(source, "file");
      xmlAttr *dev = file == nullptr ? find_attr(source, "dev") : nullptr;
      xmlAttr *a = file != nullptr ? file : dev;
      const plan::PathRewrite *r = a == nullptr ? nullptr : match(scan::xml_text_of(a->children));
      if (r != nullptr) {
        apply(el, source, dev != nullptr, *r, format_child);
      }
    }
    for (xmlNode *c = el->children; c != nullptr; c = c->next) {
      if (is_element(c, "backingStore")) {
        storage(c, "format");
      }
    }
  }

  void apply(xmlNode *el, xmlNode *source, bool is_dev, const plan::PathRewrite &r,
             const char *format_child) {
    if (r.eject) {
      eject(el, source);
    } else if (is_dev && r.block_to_file) {
      // Renamed in place, so the attribute keeps its position.
      xmlNodeSetName(reinterpret_cast<xmlNode *>(find_attr(source, "dev")), xc("file"));
      if (xmlAttr *type = find_attr(el, "type");
          type != nullptr && scan::xml_text_of(type->children) == "block") {
        set_attr(el, "type", "file");
      }
      set_attr(source, "file", r.to);
    } else {
      set_attr(source, is_dev ? "dev" : "file", r.to);
    }
    if (!r.new_format.empty()) {
      xmlNode *f = first_child(el, format_child);
      if (f == nullptr) {
        f = add_format_element(el, format_child);
      }
      set_attr(f, "type", r.new_format);
    }
    ++changes_;
  }

  // A cdrom or floppy drive EL keeps with no medium: its <source> and
  // <backingStore> go, and a host device drive becomes type='file' (an
  // empty drive as virt-manager writes one).
  void eject(xmlNode *el, xmlNode *source) {
    if (!is_element(el, "disk")) {
      doc_.fail("a medium to drop is named in a <backingStore>, not a <disk>");
    }
    remove_node(source);
    while (xmlNode *bs = first_child(el, "backingStore")) {
      remove_node(bs);
    }
    if (xmlAttr *type = find_attr(el, "type");
        type != nullptr && scan::xml_text_of(type->children) != "file") {
      set_attr(el, "type", "file");
    }
  }

  // Unlinks N with the white space before it, so no blank line is left.
  static void remove_node(xmlNode *n) {
    if (xmlNode *prev = n->prev; prev != nullptr && xmlIsBlankNode(prev) != 0) {
      xmlUnlinkNode(prev);
      xmlFreeNode(prev);
    }
    xmlUnlinkNode(n);
    xmlFreeNode(n);
  }

  // A missing <driver name='qemu'/> or <format/>, as the first child.
  static xmlNode *add_format_element(xmlNode *el, const char *name) {
    xmlNode *f = xmlNewDocNode(el->doc, nullptr, xc(name), nullptr);
    if (f == nullptr) {
      throw std::bad_alloc();
    }
    if (std::string_view(name) == "driver") {
      set_attr(f, "name", "qemu");
    }
    if (el->children == nullptr) {
      xmlAddChild(el, f);
    } else {
      xmlAddPrevSibling(el->children, f);
    }
    return f;
  }

  void nvram(xmlNode *el) {
    // libvirt 8.5+: <nvram type='file'><source file=.../></nvram>.
    if (xmlNode *source = first_child(el, "source"); source != nullptr) {
      if (xmlAttr *file = find_attr(source, "file"); file != nullptr) {
        if (const auto *r = match(scan::xml_text_of(file->children)); r != nullptr) {
          set_attr(source, "file", r->to);
          ++changes_;
        }
      }
      return;
    }
    text_path(el);
  }

  // An element whose text is a path; white space around it is kept.
  void text_path(xmlNode *el) {
    const std::string text = scan::xml_text_of(el->children);
    const std::string_view path = scan::xml_trim(text);
    if (path.empty()) {
      return;
    }
    if (const auto *r = match(path); r != nullptr) {
      const auto lead = static_cast<std::size_t>(path.data() - text.data());
      set_text(el, text.substr(0, lead) + r->to + text.substr(lead + path.size()));
      ++changes_;
    }
  }

  const scan::XmlDoc &doc_;
  const std::vector<plan::PathRewrite> &rewrites_;
  std::vector<bool> used_;
  std::size_t changes_ = 0;
};

// True when TEXT starts with an XML declaration (after a UTF-8 BOM).
bool has_declaration(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  return text.starts_with("<?xml") && text.size() > 5 &&
         (text[5] == ' ' || text[5] == '\t' || text[5] == '\r' || text[5] == '\n');
}

struct BufferFreer {
  void operator()(xmlBuffer *b) const noexcept { xmlBufferFree(b); }
};

// Where the root element starts in TEXT, after a prolog of a BOM, an XML
// declaration, comments, processing instructions and white space; npos
// when the prolog holds anything else (a DOCTYPE).
std::size_t root_start(std::string_view text) {
  std::size_t i = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    const std::string_view rest = text.substr(i);
    std::size_t end = std::string_view::npos;
    if (rest.starts_with("<?")) {
      end = rest.find("?>");
    } else if (rest.starts_with("<!--")) {
      end = rest.find("-->");
    } else if (rest.starts_with("<!")) {
      return std::string_view::npos;
    } else {
      return c == '<' ? i : std::string_view::npos;
    }
    if (end == std::string_view::npos) {
      return std::string_view::npos;
    }
    i += end + (rest[1] == '?' ? 2 : 3);
  }
  return std::string_view::npos;
}

// Writes NODE (the root element) or, when null, the whole document.
std::string save(const scan::XmlDoc &doc, xmlNode *node, bool declaration) {
  std::unique_ptr<xmlBuffer, BufferFreer> buf(xmlBufferCreate());
  if (!buf) {
    throw std::bad_alloc();
  }
  int options = XML_SAVE_AS_XML;
  if (!declaration) {
    options |= XML_SAVE_NO_DECL;
  }
  // UTF-8 unless the file declared another encoding.
  const char *encoding = doc.raw()->encoding == nullptr
                             ? "UTF-8"
                             : reinterpret_cast<const char *>(doc.raw()->encoding);
  xmlSaveCtxt *ctxt = xmlSaveToBuffer(buf.get(), encoding, options);
  if (ctxt == nullptr) {
    throw InputError(
        fmt::format("{}: cannot write the XML back (encoding {})", doc.file(), encoding));
  }
  const long rc = node == nullptr ? xmlSaveDoc(ctxt, doc.raw()) : xmlSaveTree(ctxt, node);
  if (xmlSaveClose(ctxt) < 0 || rc < 0) {
    throw InputError(fmt::format("{}: cannot write the rewritten XML", doc.file()));
  }
  return {reinterpret_cast<const char *>(xmlBufferContent(buf.get())),
          static_cast<std::size_t>(xmlBufferLength(buf.get()))};
}

// The edited document as text. The prolog (declaration, comments, blank
// lines) and the trailing white space are taken from ORIGINAL as they
// were; only the root element is written by libxml2. A file with a
// DOCTYPE or with nodes after the root is written whole by libxml2.
std::string serialize(const scan::XmlDoc &doc, std::string_view original) {
  xmlNode *root = xmlDocGetRootElement(doc.raw());
  if (doc.raw()->encoding == nullptr) {
    // A document without a declared encoding is UTF-8; libxml2 would write
    // non-ASCII characters in attribute values as character references.
    doc.raw()->encoding = xmlStrdup(xc("UTF-8"));
  }
  const std::size_t start = root_start(original);
  if (start == std::string_view::npos || root->next != nullptr) {
    return save(doc, nullptr, has_declaration(original));
  }
  const std::size_t end = original.find_last_not_of(" \t\r\n") + 1;
  return std::string(original.substr(0, start)) + save(doc, root, false) +
         std::string(original.substr(end));
}

XmlRewriteResult result_of(std::string_view xml, const scan::XmlDoc &doc, const Rewriter &rw) {
  XmlRewriteResult out;
  out.changes = rw.changes();
  out.unapplied = rw.unapplied();
  out.text = out.changes == 0 ? std::string(xml) : serialize(doc, xml);
  return out;
}

} // namespace

XmlRewriteResult rewrite_domain_xml(std::string_view xml, std::string_view file_for_messages,
                                    const std::vector<plan::PathRewrite> &rewrites) {
  const auto doc = scan::XmlDoc::parse(xml, std::string(file_for_messages));
  const auto root = doc.root();
  if (root.name() != "domain" && root.name() != "domainsnapshot") {
    doc.fail(fmt::format("not a domain XML file (its root element is <{}>)", root.name()));
  }
  Rewriter rw(doc, rewrites);
  rw.walk(xmlDocGetRootElement(doc.raw()));
  return result_of(xml, doc, rw);
}

XmlRewriteResult rename_domain_xml(std::string_view xml, std::string_view file_for_messages,
                                   const std::string &name) {
  const auto doc = scan::XmlDoc::parse(xml, std::string(file_for_messages));
  xmlNode *root = xmlDocGetRootElement(doc.raw());
  xmlNode *domain = is_element(root, "domainsnapshot") ? first_child(root, "domain") : root;
  xmlNode *name_node = is_element(domain, "domain") ? first_child(domain, "name") : nullptr;
  XmlRewriteResult out;
  if (name_node == nullptr) {
    out.text = std::string(xml);
    return out;
  }
  xmlChar *old = xmlNodeGetContent(name_node);
  const bool same = as_view(old) == name;
  xmlFree(old);
  if (same) {
    out.text = std::string(xml);
    return out;
  }
  set_text(name_node, name);
  out.changes = 1;
  out.text = serialize(doc, xml);
  return out;
}

XmlRewriteResult rewrite_pool_xml(std::string_view xml, std::string_view file_for_messages,
                                  const std::vector<plan::PathRewrite> &rewrites) {
  const auto doc = scan::XmlDoc::parse(xml, std::string(file_for_messages));
  if (doc.root().name() != "pool") {
    doc.fail(
        fmt::format("not a storage pool XML file (its root element is <{}>)", doc.root().name()));
  }
  Rewriter rw(doc, rewrites);
  rw.pool(xmlDocGetRootElement(doc.raw()));
  return result_of(xml, doc, rw);
}

} // namespace kvmr::finish
