// Small files of the payload (libvirt XML, its unmodified original):
// written as NAME.tmp, fdatasync'ed, renamed; read back and hashed, so
// they are recorded and verified like the copy engine's files.
#pragma once

#include "rescue/copy/hash.hpp"

#include <cstdint>
#include <string>

namespace kvmr::run {

// XML and config files larger than this are refused (not text a host keeps).
inline constexpr std::uint64_t kMaxTextItem = std::uint64_t{64} << 20U;

struct TextWrite {
  std::string hash;            // of the bytes read back
  std::uint64_t allocated = 0; // on the target
};

// Writes CONTENT to PATH (mode 0600 when SECRET, else 0644), reads it back
// and compares. Throws SysError naming PATH, VerifyMismatch when the
// bytes read back differ.
TextWrite write_text_item(const std::string &path, const std::string &content, bool secret,
                          copy::HashKind hash);

} // namespace kvmr::run
