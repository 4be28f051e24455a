// Byte-order accessors and buffer helpers (see bytes.hpp).
#include "rescue/util/bytes.hpp"

#include "rescue/util/error.hpp"

#include <algorithm>

namespace kvmr {
namespace {

std::uint64_t load(Bytes b, std::size_t off, std::size_t len, bool little) {
  if (off > b.size() || b.size() - off < len) {
    throw InputError("structure read past its buffer (offset " + std::to_string(off) + ", " +
                     std::to_string(len) + " bytes, buffer " + std::to_string(b.size()) + ")");
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const auto byte = std::to_integer<std::uint64_t>(b[off + (little ? len - 1 - i : i)]);
    v = (v << 8U) | byte;
  }
  return v;
}

} // namespace

std::uint16_t le16(Bytes b, std::size_t off) {
  return static_cast<std::uint16_t>(load(b, off, 2, true));
}
std::uint32_t le32(Bytes b, std::size_t off) {
  return static_cast<std::uint32_t>(load(b, off, 4, true));
}
std::uint64_t le64(Bytes b, std::size_t off) {
  return load(b, off, 8, true);
}
std::uint16_t be16(Bytes b, std::size_t off) {
  return static_cast<std::uint16_t>(load(b, off, 2, false));
}
std::uint32_t be32(Bytes b, std::size_t off) {
  return static_cast<std::uint32_t>(load(b, off, 4, false));
}
std::uint64_t be64(Bytes b, std::size_t off) {
  return load(b, off, 8, false);
}

bool all_zero(Bytes b) noexcept {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

bool has_at(Bytes b, std::size_t off, std::string_view needle) noexcept {
  if (off > b.size() || b.size() - off < needle.size()) {
    return false;
  }
  for (std::size_t i = 0; i < needle.size(); ++i) {
    if (b[off + i] != static_cast<std::byte>(needle[i])) {
      return false;
    }
  }
  return true;
}

bool contains(Bytes b, std::string_view needle) noexcept {
  if (needle.empty()) {
    return true;
  }
  const auto *first = reinterpret_cast<const char *>(b.data());
  const std::string_view hay(first, b.size());
  return hay.find(needle) != std::string_view::npos;
}

std::string c_string(Bytes b) {
  std::string s;
  for (const std::byte x : b) {
    if (x == std::byte{0}) {
      break;
    }
    s.push_back(static_cast<char>(x));
  }
  return s;
}

} // namespace kvmr
