// Defaults and helpers of the byte-source interface (see byte_source.hpp).
#include "rescue/io/byte_source.hpp"

#include <algorithm>

namespace kvmr::io {

std::size_t ByteSource::read_direct(std::uint64_t offset, std::span<std::byte> out) {
  return read_at(offset, out);
}

std::vector<Extent> ByteSource::extents(std::uint64_t from, std::uint64_t length) {
  std::vector<Extent> out;
  const std::uint64_t end = clipped_end(size(), from, length);
  if (from < end) {
    out.push_back({from, end - from, ExtentKind::data});
  }
  return out;
}

void append_extent(std::vector<Extent> &out, const Extent &e) {
  if (e.length == 0) {
    return;
  }
  if (!out.empty() && out.back().kind == e.kind &&
      out.back().offset + out.back().length == e.offset) {
    out.back().length += e.length;
    return;
  }
  out.push_back(e);
}

std::uint64_t clipped_end(std::uint64_t size, std::uint64_t from, std::uint64_t length) {
  if (from >= size) {
    return from;
  }
  return length > size - from ? size : from + length;
}

} // namespace kvmr::io
