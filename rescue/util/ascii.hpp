// ASCII-only string helpers for identifiers read off disks (UUIDs, GUIDs,
// labels): case folding that never depends on the locale.
#pragma once

#include <algorithm>
#include <string>

namespace kvmr {

inline std::string ascii_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return s;
}

} // namespace kvmr
