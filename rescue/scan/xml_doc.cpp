// libxml2 wrapper for untrusted XML (see xml_doc.hpp).
#include "rescue/scan/xml_doc.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <climits>
#include <mutex>

namespace kvmr::scan {

namespace {

std::string_view as_view(const xmlChar *s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char *>(s));
}

bool is_element(const xmlNode *n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && n->ns == nullptr && as_view(n->name) == name;
}

// The first error the parser reported, kept for the exception's message.
struct FirstError {
  bool set = false;
  int line = 0;
  std::string message;
};

#if LIBXML_VERSION >= 21200
using ErrorArg = const xmlError *;
#else
using ErrorArg = xmlError *;
#endif

void on_error(void *user_data, ErrorArg err) {
  auto *ctxt = static_cast<xmlParserCtxt *>(user_data);
  if (ctxt == nullptr || ctxt->_private == nullptr || err == nullptr ||
      err->level < XML_ERR_ERROR) {
    return;
  }
  auto *first = static_cast<FirstError *>(ctxt->_private);
  if (first->set) {
    return;
  }
  first->set = true;
  first->line = err->line;
  std::string msg = err->message == nullptr ? "parse error" : err->message;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
    msg.pop_back();
  }
  first->message = std::move(msg);
}

struct CtxtFreer {
  void operator()(xmlParserCtxt *c) const noexcept { xmlFreeParserCtxt(c); }
};

} // namespace

std::string xml_text_of(const xmlNode *first) {
  std::string out;
  for (const xmlNode *c = first; c != nullptr; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      out += as_view(c->content);
    }
  }
  return out;
}

std::string XmlNode::name() const {
  return node_ == nullptr ? std::string() : std::string(as_view(node_->name));
}

long XmlNode::line() const {
  return node_ == nullptr ? 0 : xmlGetLineNo(node_);
}

XmlNode XmlNode::child(std::string_view name) const {
  if (node_ == nullptr) {
    return XmlNode();
  }
  for (const xmlNode *c = node_->children; c != nullptr; c = c->next) {
    if (is_element(c, name)) {
      return XmlNode(c);
    }
  }
  return XmlNode();
}

std::vector<XmlNode> XmlNode::children(std::string_view name) const {
  std::vector<XmlNode> out;
  if (node_ == nullptr) {
    return out;
  }
  for (const xmlNode *c = node_->children; c != nullptr; c = c->next) {
    if (is_element(c, name)) {
      out.emplace_back(c);
    }
  }
  return out;
}

std::optional<std::string> XmlNode::attr(std::string_view name) const {
  if (node_ == nullptr || node_->type != XML_ELEMENT_NODE) {
    return std::nullopt;
  }
  // Only attributes written on the element: never a DTD default.
  for (const xmlAttr *a = node_->properties; a != nullptr; a = a->next) {
    if (a->ns == nullptr && as_view(a->name) == name) {
      return xml_text_of(a->children);
    }
  }
  return std::nullopt;
}

std::string XmlNode::attr_or(std::string_view name, std::string_view fallback) const {
  auto v = attr(name);
  return v ? *v : std::string(fallback);
}

std::string XmlNode::text() const {
  return node_ == nullptr ? std::string() : xml_text_of(node_->children);
}

std::optional<std::string> XmlNode::child_text(std::string_view name) const {
  const XmlNode c = child(name);
  if (!c) {
    return std::nullopt;
  }
  return c.text();
}

std::string_view xml_trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

void XmlDoc::Freer::operator()(_xmlDoc *doc) const noexcept {
  xmlFreeDoc(doc);
}

XmlDoc XmlDoc::parse(std::string_view text, std::string file) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    throw InputError(fmt::format("{}: too large for an XML file", file));
  }
  std::unique_ptr<xmlParserCtxt, CtxtFreer> ctxt(xmlNewParserCtxt());
  if (!ctxt || ctxt->sax == nullptr) {
    throw std::bad_alloc();
  }
  FirstError first;
  ctxt->_private = &first;
  ctxt->sax->serror = on_error;
  // No XML_PARSE_NOENT (entities stay references), no DTDLOAD/DTDATTR/
  // DTDVALID (nothing external is read), no XINCLUDE, no HUGE (libxml2's
  // size and entity-amplification limits stay on).
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDoc *raw = xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()), nullptr,
                                  nullptr, options);
  std::unique_ptr<_xmlDoc, Freer> doc(raw);
  const bool well_formed = ctxt->wellFormed != 0;
  ctxt->_private = nullptr;
  if (!doc || !well_formed) {
    if (!first.set) {
      throw InputError(fmt::format("{}: not well-formed XML", file));
    }
    throw InputError(fmt::format("{}:{}: {}", file, first.line, first.message));
  }
  if (xmlDocGetRootElement(doc.get()) == nullptr) {
    throw InputError(fmt::format("{}: no root element", file));
  }
  return XmlDoc(std::move(doc), std::move(file));
}

XmlNode XmlDoc::root() const {
  return XmlNode(xmlDocGetRootElement(doc_.get()));
}

void XmlDoc::fail(const std::string &what, XmlNode at) const {
  if (at && at.line() > 0) {
    throw InputError(fmt::format("{}:{}: {}", file_, at.line(), what));
  }
  throw InputError(fmt::format("{}: {}", file_, what));
}

} // namespace kvmr::scan
