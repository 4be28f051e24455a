// pykickstart's reading of a kickstart's structure (see ks_reader.hpp).
#include "kickstart/ks_reader.hpp"

#include "rescue/util/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace kvmr::kickstart {
namespace {

// Python's str.splitlines() boundaries.
bool is_python_line_break(char32_t c) {
  switch (c) {
  case U'\n':
  case U'\r':
  case U'\v':
  case U'\f':
  case U'\x1c':
  case U'\x1d':
  case U'\x1e':
  case U'\x85':
  case U'\u2028':
  case U'\u2029': return true;
  default: return false;
  }
}

// Python's str.isspace() (what str.split() and str.lstrip() remove).
bool is_python_space(char32_t c) {
  if (c == U' ' || (c >= U'\t' && c <= U'\r') || (c >= U'\x1c' && c <= U'\x1f')) {
    return true;
  }
  switch (c) {
  case U'\x85':
  case U'\xa0':
  case U'\u1680':
  case U'\u2028':
  case U'\u2029':
  case U'\u202f':
  case U'\u205f':
  case U'\u3000': return true;
  default: return c >= U'\u2000' && c <= U'\u200a';
  }
}

// The section names any pykickstart or anaconda version registers.
constexpr std::array<std::string_view, 9> kSections{
    "%pre",      "%pre-install", "%post",  "%onerror",  "%traceback",
    "%packages", "%certificate", "%addon", "%anaconda",
};

bool is_section_name(std::string_view word) {
  return std::ranges::find(kSections, word) != kSections.end();
}

// The first word of LINE as Python's str.split() finds it.
std::string_view first_word(std::string_view line) {
  const std::string_view s = python_lstrip(line);
  std::size_t pos = 0;
  while (pos < s.size()) {
    const Utf8Char c = decode_utf8(s, pos);
    if (c.len == 0 || is_python_space(c.cp)) {
      break;
    }
    pos += c.len;
  }
  return s.substr(0, pos);
}

bool is_blank_or_comment(std::string_view line) {
  const std::string_view s = python_lstrip(line);
  return s.empty() || s.front() == '#';
}

// The state machine of parser.py, one line at a time.
class Reader {
public:
  explicit Reader(KsRead &out) : out_(out) {}

  void line(std::string_view raw) {
    ++lineno_;
    const std::string text(python_lstrip(raw));
    if (text.rfind("%ksappend", 0) == 0) { // the preprocessor, in any state
      add(KsKind::ksappend, text);
      return;
    }
    if (in_section_) {
      section_line(raw, text);
    } else {
      command_line(text);
    }
  }

  void finish() {
    if (in_section_) {
      out_.problems.push_back(fmt::format("section {} does not end with %end", open_));
    }
  }

private:
  void command_line(const std::string &text) {
    if (is_blank_or_comment(text)) {
      return;
    }
    const std::string_view word = first_word(text);
    if (word == "%include") {
      add(KsKind::include, text);
    } else if (!word.empty() && word.front() == '%') {
      add(KsKind::section, text);
      in_section_ = true;
      open_ = std::string(word);
    } else {
      add(KsKind::command, text);
    }
  }

  void section_line(std::string_view raw, const std::string &text) {
    const std::string_view word = is_directive_line(raw) ? first_word(text) : "";
    if (word == "%end") {
      add(KsKind::end, text);
      in_section_ = false;
    } else if (word == "%include") {
      add(KsKind::include, text);
    } else if (is_section_name(word)) {
      out_.problems.push_back(
          fmt::format("line {}: {} opens inside {} (no %end before it)", lineno_, word, open_));
      add(KsKind::section, text);
      open_ = std::string(word);
    } else {
      add(KsKind::body, std::string(raw));
    }
  }

  void add(KsKind k, std::string text) { out_.elements.push_back({k, std::move(text)}); }

  KsRead &out_;
  bool in_section_ = false;
  std::string open_;
  std::size_t lineno_ = 0;
};

} // namespace

const char *to_string(KsKind k) noexcept {
  switch (k) {
  case KsKind::command: return "command";
  case KsKind::section: return "section";
  case KsKind::body: return "body";
  case KsKind::end: return "end";
  case KsKind::include: return "include";
  case KsKind::ksappend: return "ksappend";
  }
  return "?";
}

std::optional<std::vector<std::string>> python_lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char c = decode_utf8(text, pos);
    if (c.len == 0) {
      return std::nullopt;
    }
    if (!is_python_line_break(c.cp)) {
      pos += c.len;
      continue;
    }
    out.emplace_back(text.substr(start, pos - start));
    pos += c.len;
    if (c.cp == U'\r' && pos < text.size() && text[pos] == '\n') {
      ++pos; // \r\n is one break
    }
    start = pos;
  }
  if (start < text.size()) {
    out.emplace_back(text.substr(start));
  }
  return out;
}

std::string_view python_lstrip(std::string_view line) {
  std::size_t pos = 0;
  while (pos < line.size()) {
    const Utf8Char c = decode_utf8(line, pos);
    if (c.len == 0 || !is_python_space(c.cp)) {
      break;
    }
    pos += c.len;
  }
  return line.substr(pos);
}

bool is_directive_line(std::string_view line) {
  const std::string_view s = python_lstrip(line);
  return !s.empty() && s.front() == '%';
}

bool has_line_break_or_control(std::string_view value) {
  for (std::size_t pos = 0; pos < value.size();) {
    const Utf8Char c = decode_utf8(value, pos);
    if (c.len == 0) {
      ++pos; // not UTF-8, but no line break either: read_kickstart says so
      continue;
    }
    if (c.cp < 0x20 || c.cp == 0x7f || (c.cp >= 0x80 && c.cp < 0xa0) ||
        is_python_line_break(c.cp)) {
      return true;
    }
    pos += c.len;
  }
  return false;
}

KsRead read_kickstart(std::string_view text) {
  KsRead out;
  const auto lines = python_lines(text);
  if (!lines) {
    out.problems.emplace_back("the kickstart is not valid UTF-8 (pykickstart cannot read it)");
    return out;
  }
  Reader r(out);
  for (const auto &l : *lines) {
    r.line(l);
  }
  r.finish();
  return out;
}

} // namespace kvmr::kickstart
