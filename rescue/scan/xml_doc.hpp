// libxml2, wrapped for untrusted XML read off a dead host's disk: parsed from
// memory with no network, no DTD loading and no entity substitution, parser
// errors captured (never printed) and thrown as InputError naming the file
// and line. Elements and attributes are reached through XmlNode, a non-owning
// view: only unqualified (namespace-free) names match, and text is read from
// text and CDATA nodes only, so an entity reference (an XXE or a "billion
// laughs" entity) contributes nothing.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct _xmlNode;
struct _xmlDoc;

namespace kvmr::scan {

class XmlNode {
public:
  XmlNode() = default;
  explicit XmlNode(const _xmlNode *node) : node_(node) {}

  [[nodiscard]] explicit operator bool() const { return node_ != nullptr; }
  // Element name ("disk"); empty for a null node.
  [[nodiscard]] std::string name() const;
  // Line of the element in its file (0 when unknown).
  [[nodiscard]] long line() const;

  // The first element child named NAME, or a null node.
  [[nodiscard]] XmlNode child(std::string_view name) const;
  // Every element child named NAME, in document order.
  [[nodiscard]] std::vector<XmlNode> children(std::string_view name) const;
  // Attribute NAME's value, nullopt when absent.
  [[nodiscard]] std::optional<std::string> attr(std::string_view name) const;
  // Attribute NAME's value, or FALLBACK when absent.
  [[nodiscard]] std::string attr_or(std::string_view name, std::string_view fallback) const;
  // The element's own text (text and CDATA children, concatenated).
  [[nodiscard]] std::string text() const;
  // Text of the first child named NAME, nullopt when there is none.
  [[nodiscard]] std::optional<std::string> child_text(std::string_view name) const;

private:
  const _xmlNode *node_ = nullptr;
};

class XmlDoc {
public:
  // Parses TEXT, the content of FILE (used in messages only). Throws
  // InputError "FILE:LINE: MESSAGE" when TEXT is not well-formed XML.
  static XmlDoc parse(std::string_view text, std::string file);

  [[nodiscard]] XmlNode root() const;
  [[nodiscard]] const std::string &file() const { return file_; }
  // The libxml2 document itself, for code that edits it (finish/
  // xml_rewrite); null only for a moved-from XmlDoc.
  [[nodiscard]] _xmlDoc *raw() const noexcept { return doc_.get(); }
  // Throws InputError "FILE: what" (or "FILE:LINE: what" for a node).
  [[noreturn]] void fail(const std::string &what, XmlNode at = XmlNode()) const;

private:
  struct Freer {
    void operator()(_xmlDoc *doc) const noexcept;
  };
  XmlDoc(std::unique_ptr<_xmlDoc, Freer> doc, std::string file)
      : doc_(std::move(doc)), file_(std::move(file)) {}

  std::unique_ptr<_xmlDoc, Freer> doc_;
  std::string file_;
};

// S without leading and trailing XML white space (space, tab, CR, LF).
std::string_view xml_trim(std::string_view s);

// The text and CDATA nodes of the sibling list starting at FIRST,
// concatenated; entity references skipped (how XmlNode::text reads).
std::string xml_text_of(const _xmlNode *first);

} // namespace kvmr::scan
