// Text helpers (see text.hpp).
#include "rescue/text/text.hpp"

#include <fmt/format.h>

#include <array>
#include <sstream>

namespace kvmr::text {
namespace {

// Decodes one UTF-8 code point at S[I], advancing I; invalid bytes count as
// one column each.
char32_t next_code_point(const std::string &s, std::size_t &i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 1;
  char32_t cp = c;
  if (c >= 0xF0) {
    len = 4;
    cp = c & 0x07U;
  } else if (c >= 0xE0) {
    len = 3;
    cp = c & 0x0FU;
  } else if (c >= 0xC0) {
    len = 2;
    cp = c & 0x1FU;
  }
  if (i + len > s.size()) {
    ++i;
    return c;
  }
  for (std::size_t k = 1; k < len; ++k) {
    cp = (cp << 6U) | (static_cast<unsigned char>(s[i + k]) & 0x3FU);
  }
  i += len;
  return cp;
}

bool is_wide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

} // namespace

std::string human_size(std::uint64_t bytes) {
  static constexpr std::array<const char *, 6> units{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  auto v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024.0 && u + 1 < units.size()) {
    v /= 1024.0;
    ++u;
  }
  return v < 10.0 ? fmt::format("{:.1f} {}", v, units[u]) : fmt::format("{:.0f} {}", v, units[u]);
}

std::string short_size(std::uint64_t bytes) {
  static constexpr std::array<char, 6> units{'K', 'M', 'G', 'T', 'P', 'E'};
  if (bytes < 1024) {
    return std::to_string(bytes);
  }
  double v = static_cast<double>(bytes) / 1024.0;
  std::size_t u = 0;
  while (v >= 1023.95 && u + 1 < units.size()) {
    v /= 1024.0;
    ++u;
  }
  return v < 9.95 ? fmt::format("{:.1f}{}", v, units[u]) : fmt::format("{:.0f}{}", v, units[u]);
}

std::string fit(const std::string &text, std::size_t width) {
  std::string out;
  std::size_t cols = 0;
  std::size_t i = 0;
  const std::size_t total = columns(text);
  const std::size_t room = total > width ? width - 1 : width; // keep one for "~"
  while (i < text.size()) {
    const std::size_t start = i;
    const char32_t cp = next_code_point(text, i);
    const std::size_t c = is_wide(cp) ? 2U : 1U;
    if (cols + c > room) {
      break;
    }
    if (cp < 0x20 || cp == 0x7f) {
      out += '?';
    } else {
      out.append(text, start, i - start);
    }
    cols += c;
  }
  if (total > width) {
    out += '~';
    ++cols;
  }
  out.append(width > cols ? width - cols : 0, ' ');
  return out;
}

std::size_t columns(const std::string &text) {
  std::size_t cols = 0;
  for (std::size_t i = 0; i < text.size();) {
    cols += is_wide(next_code_point(text, i)) ? 2U : 1U;
  }
  return cols;
}

std::vector<std::string> wrap(const std::string &text, const std::string &first,
                              const std::string &rest, std::size_t width) {
  std::vector<std::string> lines;
  std::string line = first;
  std::size_t line_cols = columns(first);
  bool line_has_word = false;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    const std::size_t wcols = columns(word);
    if (line_has_word && line_cols + 1 + wcols > width) {
      lines.push_back(line);
      line = rest;
      line_cols = columns(rest);
      line_has_word = false;
    }
    if (line_has_word) {
      line += ' ';
      ++line_cols;
    }
    // A word wider than the whole line is cut at code point boundaries.
    for (std::size_t i = 0; i < word.size();) {
      const std::size_t start = i;
      const char32_t cp = next_code_point(word, i);
      const std::size_t c = is_wide(cp) ? 2U : 1U;
      if (line_cols + c > width && line_has_word) {
        lines.push_back(line);
        line = rest;
        line_cols = columns(rest);
      }
      line.append(word, start, i - start);
      line_cols += c;
      line_has_word = true;
    }
  }
  if (line_has_word || lines.empty()) {
    lines.push_back(line);
  }
  return lines;
}

} // namespace kvmr::text
