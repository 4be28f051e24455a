// One UTF-8 character (see utf8.hpp).
#include "rescue/util/utf8.hpp"

namespace kvmr {

Utf8Char decode_utf8(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80U) {
    return {b0, 1};
  }
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0U) == 0xC0U) {
    len = 2, cp = b0 & 0x1FU, min = 0x80;
  } else if ((b0 & 0xF0U) == 0xE0U) {
    len = 3, cp = b0 & 0x0FU, min = 0x800;
  } else if ((b0 & 0xF8U) == 0xF0U) {
    len = 4, cp = b0 & 0x07U, min = 0x10000;
  } else {
    return {};
  }
  if (pos + len > text.size()) {
    return {};
  }
  for (std::size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xC0U) != 0x80U) {
      return {};
    }
    cp = (cp << 6U) | (byte(i) & 0x3FU);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return {};
  }
  return {cp, len};
}

} // namespace kvmr
