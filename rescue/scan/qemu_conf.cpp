// qemu.conf settings (see qemu_conf.hpp).
#include "rescue/scan/qemu_conf.hpp"

#include "rescue/scan/xml_doc.hpp"

#include <fmt/format.h>

namespace kvmr::scan {

namespace {

// LINE up to a "#" that is outside a double-quoted string.
std::string_view strip_comment(std::string_view line) {
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && quoted) {
      ++i;
    } else if (line[i] == '"') {
      quoted = !quoted;
    } else if (line[i] == '#' && !quoted) {
      return line.substr(0, i);
    }
  }
  return line;
}

bool valid_key(std::string_view key) {
  if (key.empty()) {
    return false;
  }
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

} // namespace

std::vector<QemuConfSetting> parse_qemu_conf(std::string_view text, const std::string &file,
                                             std::vector<std::string> &warnings) {
  std::vector<QemuConfSetting> out;
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    const auto nl = text.find('\n', pos);
    const auto end = nl == std::string_view::npos ? text.size() : nl;
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = xml_trim(strip_comment(lines[i]));
    if (line.empty()) {
      continue;
    }
    const int number = static_cast<int>(i + 1);
    const auto eq = line.find('=');
    const std::string_view key = eq == std::string_view::npos ? line : xml_trim(line.substr(0, eq));
    if (eq == std::string_view::npos || !valid_key(key)) {
      warnings.push_back(fmt::format("{}:{}: not a 'key = value' setting: {}", file, number, line));
      continue;
    }
    std::string value(xml_trim(line.substr(eq + 1)));
    if (!value.empty() && value.front() == '[') {
      // A list may continue on the following lines up to its "]".
      while (value.find(']') == std::string::npos && i + 1 < lines.size()) {
        const std::string_view more = xml_trim(strip_comment(lines[++i]));
        if (!more.empty()) {
          value += ' ';
          value += more;
        }
      }
      if (value.find(']') == std::string::npos) {
        warnings.push_back(
            fmt::format("{}:{}: the list of '{}' has no closing ]", file, number, key));
      }
    }
    out.push_back({std::string(key), std::move(value), number});
  }
  return out;
}

} // namespace kvmr::scan
