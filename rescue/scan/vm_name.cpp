// Safe VM names (see vm_name.hpp).
#include "rescue/scan/vm_name.hpp"

#include "rescue/util/utf8.hpp"

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
  const Utf8Char c = decode_utf8(s, pos);
  if (c.len == 0) {
    return {};
  }
  const bool control = c.cp < 0x20 || c.cp == 0x7F || (c.cp >= 0x80 && c.cp < 0xA0) ||
                       c.cp == 0x2028 || c.cp == 0x2029;
  return {c.len, !control && c.cp != '/'};
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
