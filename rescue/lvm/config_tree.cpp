// Tokeniser and parser for LVM2's configuration syntax (see config_tree.hpp).
// Sections nest by recursion, bounded by ConfigLimits::max_depth; arrays do
// not nest in this syntax.
#include "rescue/lvm/config_tree.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <unordered_map>

namespace kvmr::lvm {

const ConfigNode *ConfigNode::find(std::string_view name) const noexcept {
  for (const auto &c : children) {
    if (c.key == name) {
      return &c;
    }
  }
  return nullptr;
}

namespace {

enum class Tok {
  end,
  word,     // identifier or bare-word value
  dquoted,  // "..."
  squoted,  // '...'
  integer,  // -12
  real,     // 1.5
  open,     // {
  close,    // }
  lbracket, // [
  rbracket, // ]
  comma,    // ,
  equals,   // =
};

struct Token {
  Tok kind = Tok::end;
  std::string_view text; // raw text; for strings without the quotes
  std::size_t line = 0;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool ends_word(char c) {
  return is_blank(c) || c == '#' || c == '=' || c == '{' || c == '}' || c == '[' || c == ']' ||
         c == ',' || c == '"' || c == '\'';
}

std::string describe(const Token &t) {
  switch (t.kind) {
  case Tok::end: return "end of text";
  case Tok::dquoted:
  case Tok::squoted: return "a string";
  case Tok::integer:
  case Tok::real: return fmt::format("number {}", t.text);
  case Tok::word:
    return fmt::format("'{}'", t.text.size() > 40 ? std::string(t.text.substr(0, 40)) + "..."
                                                  : std::string(t.text));
  default: return fmt::format("'{}'", t.text);
  }
}

class Parser {
public:
  Parser(std::string_view text, const ConfigLimits &limits) : text_(text), limits_(limits) {}

  ConfigNode parse_root() {
    ConfigNode root;
    root.section = true;
    root.line = 1;
    std::unordered_map<std::string, std::size_t> seen;
    advance();
    while (tok_.kind != Tok::end) {
      add_child(root, parse_item(1), seen);
    }
    return root;
  }

private:
  [[noreturn]] static void fail(std::size_t line, const std::string &what) {
    throw InputError(fmt::format("LVM metadata line {}: {}", line, what));
  }

  [[noreturn]] void expected(const std::string &what) const {
    fail(tok_.line, fmt::format("expected {}, found {}", what, describe(tok_)));
  }

  void skip_blanks_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (is_blank(c)) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') {
          ++pos_;
        }
      } else {
        break;
      }
    }
  }

  void read_quoted(char quote) {
    const std::size_t start_line = line_;
    const std::size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\n') {
        ++line_;
      }
      if (quote == '"' && text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
        ++pos_;
        if (text_[pos_] == '\n') {
          ++line_;
        }
      }
      ++pos_;
    }
    if (pos_ >= text_.size()) {
      fail(start_line, "string starting here is not terminated");
    }
    tok_.kind = quote == '"' ? Tok::dquoted : Tok::squoted;
    tok_.text = text_.substr(start, pos_ - start);
    ++pos_;
  }

  // A number where a value may stand: [+-]digits[.digits], or .digits.
  bool read_number() {
    std::size_t p = pos_;
    if (text_[p] == '+' || text_[p] == '-') {
      ++p;
    }
    std::size_t digits = 0;
    bool dot = false;
    while (p < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[p])) != 0 || (text_[p] == '.' && !dot))) {
      if (text_[p] == '.') {
        dot = true;
      } else {
        ++digits;
      }
      ++p;
    }
    if (digits == 0) {
      return false;
    }
    if (p < text_.size() && !ends_word(text_[p])) {
      fail(line_, fmt::format("malformed number '{}'", text_.substr(pos_, p + 1 - pos_)));
    }
    tok_.kind = dot ? Tok::real : Tok::integer;
    tok_.text = text_.substr(pos_, p - pos_);
    pos_ = p;
    return true;
  }

  // VALUE_POS: a value may stand here (after '=', '[' or ','), so a word
  // made of digits is a number; elsewhere it is a name such as "1data".
  void advance(bool value_pos = false) {
    skip_blanks_and_comments();
    tok_ = Token{Tok::end, {}, line_};
    if (pos_ >= text_.size()) {
      return;
    }
    const char c = text_[pos_];
    Tok single = Tok::end;
    switch (c) {
    case '{': single = Tok::open; break;
    case '}': single = Tok::close; break;
    case '[': single = Tok::lbracket; break;
    case ']': single = Tok::rbracket; break;
    case ',': single = Tok::comma; break;
    case '=': single = Tok::equals; break;
    case '"':
    case '\'': read_quoted(c); return;
    default: break;
    }
    if (single != Tok::end) {
      tok_.kind = single;
      tok_.text = text_.substr(pos_, 1);
      ++pos_;
      return;
    }
    const auto uc = static_cast<unsigned char>(c);
    if (uc < 0x20 || uc == 0x7f) {
      fail(line_, fmt::format("unexpected control character 0x{:02x}", uc));
    }
    if (value_pos && (std::isdigit(uc) != 0 || c == '+' || c == '-' || c == '.') && read_number()) {
      return;
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !ends_word(text_[pos_])) {
      const auto w = static_cast<unsigned char>(text_[pos_]);
      if (w < 0x20 || w == 0x7f) {
        fail(line_, fmt::format("unexpected control character 0x{:02x}", w));
      }
      ++pos_;
    }
    tok_.kind = Tok::word;
    tok_.text = text_.substr(start, pos_ - start);
  }

  void count_node() {
    if (++nodes_ > limits_.max_nodes) {
      fail(tok_.line, fmt::format("more than {} keys", limits_.max_nodes));
    }
  }

  // SEEN maps the keys already in PARENT to their lines (a linear search
  // would make a section with many keys quadratic).
  static void add_child(ConfigNode &parent, ConfigNode child,
                        std::unordered_map<std::string, std::size_t> &seen) {
    const auto [it, fresh] = seen.emplace(child.key, child.line);
    if (!fresh) {
      fail(child.line, fmt::format("duplicate key '{}' (first at line {})", child.key, it->second));
    }
    parent.children.push_back(std::move(child));
  }

  ConfigNode parse_item(std::size_t depth) {
    ConfigNode node;
    node.line = tok_.line;
    if (tok_.kind == Tok::word) {
      node.key = std::string(tok_.text);
    } else if (tok_.kind == Tok::dquoted || tok_.kind == Tok::squoted) {
      node.key = unescape(tok_);
    } else {
      expected("a key or section name");
    }
    if (node.key.empty()) {
      fail(node.line, "empty key");
    }
    count_node();
    advance();
    if (tok_.kind == Tok::open) {
      if (depth > limits_.max_depth) {
        fail(tok_.line, fmt::format("sections nested deeper than {}", limits_.max_depth));
      }
      node.section = true;
      std::unordered_map<std::string, std::size_t> seen;
      advance();
      while (tok_.kind != Tok::close) {
        if (tok_.kind == Tok::end) {
          fail(node.line, fmt::format("section '{}' is not closed by '}}'", node.key));
        }
        add_child(node, parse_item(depth + 1), seen);
      }
      advance();
      return node;
    }
    if (tok_.kind != Tok::equals) {
      expected(fmt::format("'=' or '{{' after '{}'", node.key));
    }
    advance(true);
    if (tok_.kind == Tok::lbracket) {
      node.array = true;
      const std::size_t open_line = tok_.line;
      advance(true);
      while (tok_.kind != Tok::rbracket) {
        if (tok_.kind == Tok::end) {
          fail(open_line, fmt::format("array of '{}' is not closed by ']'", node.key));
        }
        node.values.push_back(parse_scalar(node.key, true));
        if (tok_.kind == Tok::comma) {
          advance(true);
        }
      }
      advance();
    } else {
      node.values.push_back(parse_scalar(node.key, false));
    }
    return node;
  }

  // IN_ARRAY: another element may follow, so the next token is read as a
  // value.
  ConfigValue parse_scalar(const std::string &key, bool in_array) {
    if (++values_ > limits_.max_values) {
      fail(tok_.line, fmt::format("more than {} values", limits_.max_values));
    }
    ConfigValue v;
    switch (tok_.kind) {
    case Tok::integer: {
      v.kind = ConfigValue::Kind::integer;
      std::string_view digits = tok_.text;
      if (digits.front() == '+') {
        digits.remove_prefix(1);
      }
      const auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), v.integer);
      if (ec != std::errc{} || ptr != digits.data() + digits.size()) {
        fail(tok_.line, fmt::format("integer {} is out of range", tok_.text));
      }
      break;
    }
    case Tok::real: {
      v.kind = ConfigValue::Kind::real;
      const std::string s(tok_.text);
      v.real = std::strtod(s.c_str(), nullptr);
      break;
    }
    case Tok::dquoted:
    case Tok::squoted:
    case Tok::word:
      v.kind = ConfigValue::Kind::string;
      v.text = unescape(tok_);
      break;
    default: expected(fmt::format("a value for '{}'", key));
    }
    advance(in_array);
    return v;
  }

  static std::string unescape(const Token &t) {
    if (t.kind != Tok::dquoted) {
      return std::string(t.text);
    }
    std::string out;
    out.reserve(t.text.size());
    for (std::size_t i = 0; i < t.text.size(); ++i) {
      if (t.text[i] == '\\' && i + 1 < t.text.size() && t.text[i + 1] == '"') {
        ++i;
      }
      out.push_back(t.text[i]);
    }
    return out;
  }

  std::string_view text_;
  const ConfigLimits &limits_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t nodes_ = 0;
  std::size_t values_ = 0;
  Token tok_;
};

} // namespace

ConfigNode parse_config(std::string_view text, const ConfigLimits &limits) {
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    text = text.substr(0, nul);
  }
  if (text.size() > limits.max_bytes) {
    throw InputError(fmt::format("LVM metadata text of {} bytes is larger than the limit of {}",
                                 text.size(), limits.max_bytes));
  }
  return Parser(text, limits).parse_root();
}

} // namespace kvmr::lvm
