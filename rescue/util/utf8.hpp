// Decoding one UTF-8 character at a time, for the readers that must see
// old-disk text the way another program does (pykickstart's line breaks
// and blanks, libvirt's refused name characters).
#pragma once

#include <cstddef>
#include <string_view>

namespace kvmr {

struct Utf8Char {
  char32_t cp = 0;
  std::size_t len = 0; // 0: the bytes at that place are not valid UTF-8
};

// The character at TEXT[pos] (pos < TEXT.size()); len 0 for an invalid or
// overlong sequence, a surrogate or a code point past U+10FFFF.
Utf8Char decode_utf8(std::string_view text, std::size_t pos);

} // namespace kvmr
