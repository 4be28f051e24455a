// The copy engine's view of what it copies: a read-only run of bytes with
// a size, a name for messages, positional reads, and (where the source
// knows them) which ranges hold data and which are holes or cannot be
// read at all. A seam in front of the system: tests inject EIO or short
// reads with their own ByteSource.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kvmr::io {

enum class ExtentKind {
  data,       // bytes to copy
  hole,       // reads as zeros and need not be copied (a sparse file's hole)
  unreadable, // known in advance to fail (an LV range on a missing PV)
};

struct Extent {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  ExtentKind kind = ExtentKind::data;
  friend bool operator==(const Extent &, const Extent &) = default;
};

class ByteSource {
public:
  ByteSource() = default;
  ByteSource(const ByteSource &) = delete;
  ByteSource &operator=(const ByteSource &) = delete;
  ByteSource(ByteSource &&) = delete;
  ByteSource &operator=(ByteSource &&) = delete;
  virtual ~ByteSource() = default;

  [[nodiscard]] virtual std::uint64_t size() const = 0;
  // Names the file, device or LV, for messages ("centos/db01").
  [[nodiscard]] virtual std::string describe() const = 0;
  // Reads up to out.size() bytes at OFFSET; fewer only where the source
  // ends (0 at or past size()). Throws SysError naming the source and the
  // offset when the bytes cannot be read; nothing is returned then.
  virtual std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) = 0;
  // Like read_at, but failing no more than the sectors it covers: a file
  // or device is read with O_DIRECT (io::DirectReader), since a buffered
  // read through a filesystem fails the whole page-cache folio around a
  // bad sector. The copy engine narrows failed reads down with it. Slower
  // for small reads; the default calls read_at.
  virtual std::size_t read_direct(std::uint64_t offset, std::span<std::byte> out);
  // [FROM, FROM+LENGTH) clipped to size(), as adjacent extents in order.
  // The default: all data.
  virtual std::vector<Extent> extents(std::uint64_t from, std::uint64_t length);
};

// Appends E to OUT, merging it into the last extent when they touch and
// are of the same kind. Empty extents are dropped.
void append_extent(std::vector<Extent> &out, const Extent &e);

// The end of [FROM, FROM+LENGTH) clipped to SIZE (no overflow).
std::uint64_t clipped_end(std::uint64_t size, std::uint64_t from, std::uint64_t length);

} // namespace kvmr::io
