// Safe VM names (see vm_name.hpp).
#include "rescue/scan/vm_name.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>

namespace kvmr::scan {
namespace {

// The UTF-8 character at S[pos]: its length (1 for a byte that starts
// none) and whether a VM name may hold it.
struct NameChar {
  std::size_t len = 1;
  bool ok = false;
};

NameChar name_char_at(std::string_view s, std::size_t pos) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const unsigned char b0 = b(0);
  if (b0 < 0x80U) {
    return {1, b0 >= 0x20U && b0 != 0x7FU && b0 != '/'};
  }
  std::size_t len = 0;
  if ((b0 & 0xE0U) == 0xC0U && b0 >= 0xC2U) {
    len = 2;
  } else if ((b0 & 0xF0U) == 0xE0U) {
    len = 3;
  } else if ((b0 & 0xF8U) == 0xF0U && b0 <= 0xF4U) {
    len = 4;
  } else {
    return {};
  }
  if (pos + len > s.size()) {
    return {};
  }
  char32_t cp = b0 & (len == 2 ? 0x1FU : len == 3 ? 0x0FU : 0x07U);
  for (std::size_t i = 1; i < len; ++i) {
    if ((b(i) & 0xC0U) != 0x80U) {
      return {};
    }
    cp = (cp << 6U) | (b(i) & 0x3FU);
  }
  const bool invalid = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
                       (cp >= 0xD800 && cp <= 0xDFFF);
  if (invalid) {
    return {};
  }
  const bool control = (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029;
  return {len, !control};
}

} // namespace

std::string safe_vm_name(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t pos = 0; pos < raw.size();) {
    const NameChar c = name_char_at(raw, pos);
    if (c.ok) {
      out.append(raw.substr(pos, c.len));
    } else {
      out += '_';
    }
    pos += c.len;
  }
  return out.empty() ? std::string("vm") : out;
}

bool is_safe_vm_name(std::string_view raw) {
  return safe_vm_name(raw) == raw;
}

std::string unique_vm_name(const std::string &safe, const std::vector<std::string> &taken) {
  std::string name = safe;
  for (int n = 2; std::find(taken.begin(), taken.end(), name) != taken.end(); ++n) {
    name = fmt::format("{}-{}", safe, n);
  }
  return name;
}

std::string escaped_name(std::string_view raw) {
  std::string out;
  for (const char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20U || u == 0x7FU ? fmt::format("\\x{:02x}", u) : std::string(1, c);
  }
  return out;
}

} // namespace kvmr::scan
