// A kickstart's structure read the way pykickstart reads it (parser.py:
// readKickstartFromString, _stateMachine, _readSection and the %ksappend
// preprocessor), for the safety check: lines split as Python's
// str.splitlines() splits the UTF-8 text (\r, \v, \f, \x1c-\x1e, U+0085,
// U+2028 and U+2029 end a line too), leading whitespace stripped as
// Python's str.lstrip() strips it (U+3000 and U+00A0 included). Versions
// differ in details (older ones look at column 0 only), so the union is
// taken: inside a section, a line whose first non-blank character is '%'
// and whose first word is %end, %include or a section name acts as one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::kickstart {

enum class KsKind {
  command,  // a command line outside any section (leading blanks stripped)
  section,  // a section header (%post, %packages, ...; unknown names too)
  body,     // a line inside a section
  end,      // %end
  include,  // %include: pulls in lines no check can see
  ksappend, // %ksappend: the preprocessor replaces it, in any section
};
const char *to_string(KsKind k) noexcept;

struct KsElement {
  KsKind kind = KsKind::command;
  std::string text; // the line without its line break, leading blanks stripped
  friend bool operator==(const KsElement &, const KsElement &) = default;
};

struct KsRead {
  std::vector<KsElement> elements;   // blank and comment lines outside sections left out
  std::vector<std::string> problems; // not UTF-8, a section without %end, ...
};

KsRead read_kickstart(std::string_view text);

// TEXT split into lines as Python's str.splitlines() does (no line
// breaks kept); nullopt when TEXT is not valid UTF-8.
std::optional<std::vector<std::string>> python_lines(std::string_view text);

// LINE without the leading whitespace Python's str.lstrip() removes.
std::string_view python_lstrip(std::string_view line);

// Whether pykickstart may take LINE, inside a section, for a section
// line: its first non-blank character is '%'.
bool is_directive_line(std::string_view line);

// Whether VALUE holds a character that ends a line for pykickstart or
// bash, or another control character (a kickstart command cannot carry it).
bool has_line_break_or_control(std::string_view value);

} // namespace kvmr::kickstart
