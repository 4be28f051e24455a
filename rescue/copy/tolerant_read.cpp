// Split-on-error reads (see tolerant_read.hpp).
#include "rescue/copy/tolerant_read.hpp"

#include "rescue/copy/copy_error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kvmr::copy {

bool is_medium_error(int err) {
  switch (err) {
  case ENODEV:
  case ENXIO:
  case EBADF:
  case ENOMEM:
  case EINVAL:
  case EFAULT:
  case ENOENT:
  case ESTALE:
  case ENOTCONN:
  case EACCES:
  case EPERM: return false;
  default: return true;
  }
}

void append_range(std::vector<ByteRange> &ranges, const ByteRange &r) {
  if (r.length == 0) {
    return;
  }
  if (!ranges.empty() && ranges.back().end() >= r.offset) {
    ranges.back().length = std::max(ranges.back().end(), r.end()) - ranges.back().offset;
    return;
  }
  ranges.push_back(r);
}

namespace {

std::uint64_t read_split(io::ByteSource &src, std::uint64_t offset, std::span<std::byte> out,
                         std::uint32_t sector, std::vector<ByteRange> &bad, ReadWay way,
                         ReadWay split_way) {
  try {
    const std::size_t n =
        way == ReadWay::direct ? src.read_direct(offset, out) : src.read_at(offset, out);
    if (n != out.size()) {
      throw SourceChanged(
          fmt::format("{}: the source shrank during the copy: {} bytes at offset {} gave only {} "
                      "(its size was {} bytes when the copy started)",
                      src.describe(), out.size(), offset, n, src.size()));
    }
    return n;
  } catch (const SysError &e) {
    if (!is_medium_error(e.error_code())) {
      throw;
    }
  }
  const std::uint64_t end = offset + out.size();
  const std::uint64_t first_sector = offset / sector;
  const std::uint64_t last_sector = (end - 1) / sector;
  if (first_sector == last_sector) {
    std::memset(out.data(), 0, out.size());
    append_range(bad, {offset, out.size()});
    return 0;
  }
  // An aligned split point strictly inside (OFFSET, END), near the middle.
  std::uint64_t split = (offset + out.size() / 2) / sector * sector;
  if (split <= offset) {
    split = (first_sector + 1) * sector;
  }
  const auto left = static_cast<std::size_t>(split - offset);
  return read_split(src, offset, out.first(left), sector, bad, split_way, split_way) +
         read_split(src, split, out.subspan(left), sector, bad, split_way, split_way);
}

} // namespace

std::uint64_t read_tolerant(io::ByteSource &src, std::uint64_t offset, std::span<std::byte> out,
                            std::uint32_t sector, std::vector<ByteRange> &bad, ReadWay first,
                            ReadWay split) {
  if (out.empty()) {
    return 0;
  }
  return read_split(src, offset, out, sector, bad, first, split);
}

bool holes_only(const std::vector<io::Extent> &extents) {
  return std::all_of(extents.begin(), extents.end(),
                     [](const io::Extent &e) { return e.kind == io::ExtentKind::hole; });
}

std::uint64_t fill_block(io::ByteSource &src, Block &block, std::vector<io::Extent> extents,
                         std::uint32_t sector, ReadWay first, ReadWay split) {
  std::uint64_t read = 0;
  block.all_zero = true;
  block.data_bytes = 0;
  if (holes_only(extents)) { // consumers do not look at an all-zero block's bytes
    block.extents = std::move(extents);
    return 0;
  }
  for (const auto &e : extents) {
    const auto rel = static_cast<std::size_t>(e.offset - block.offset);
    const auto part = block.data.subspan(rel, static_cast<std::size_t>(e.length));
    switch (e.kind) {
    case io::ExtentKind::data:
      block.all_zero = false;
      block.data_bytes += e.length;
      read += read_tolerant(src, e.offset, part, sector, block.bad, first, split);
      break;
    case io::ExtentKind::hole: std::memset(part.data(), 0, part.size()); break;
    case io::ExtentKind::unreadable:
      block.data_bytes += e.length;
      std::memset(part.data(), 0, part.size());
      append_range(block.bad, {e.offset, e.length});
      break;
    }
  }
  block.extents = std::move(extents);
  return read;
}

std::vector<io::Extent> extents_within(const std::vector<io::Extent> &sorted, std::uint64_t from,
                                       std::uint64_t to) {
  std::vector<io::Extent> out;
  auto it = std::upper_bound(sorted.begin(), sorted.end(), from,
                             [](std::uint64_t v, const io::Extent &e) { return v < e.offset; });
  if (it != sorted.begin()) {
    --it;
  }
  for (; it != sorted.end() && it->offset < to; ++it) {
    const std::uint64_t a = std::max(it->offset, from);
    const std::uint64_t b = std::min(it->offset + it->length, to);
    if (b > a) {
      io::append_extent(out, {a, b - a, it->kind});
    }
  }
  return out;
}

} // namespace kvmr::copy
