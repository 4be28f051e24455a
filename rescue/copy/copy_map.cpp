// Copy bookkeeping (see copy_map.hpp).
#include "rescue/copy/copy_map.hpp"

#include "rescue/copy/tolerant_read.hpp"

#include <algorithm>

namespace kvmr::copy {

std::uint64_t CopyMap::chunk_length(std::size_t c) const {
  const std::uint64_t off = chunk_offset(c);
  return std::min(state_.chunk_size, state_.source_size - off);
}

std::size_t CopyMap::finished_count() const {
  return static_cast<std::size_t>(std::count_if(state_.chunk_hashes.begin(),
                                                state_.chunk_hashes.end(),
                                                [](const std::string &h) { return !h.empty(); }));
}

CopyMap CopyMap::resume(ResumeState state, const Mapfile &map) {
  CopyMap m(std::move(state));
  const std::uint64_t cs = m.state_.chunk_size;
  const std::size_t n = m.chunk_count();
  // The mapfile must cover the whole source; a chunk it does not cover,
  // or covers with any status but finished/bad, is copied again.
  std::uint64_t covered = 0;
  for (const auto &b : map.blocks) {
    covered = std::max(covered, b.pos + b.size);
    if (b.status == MapStatus::finished || b.status == MapStatus::bad || b.size == 0) {
      continue;
    }
    const auto first = static_cast<std::size_t>(b.pos / cs);
    const auto last = static_cast<std::size_t>((b.pos + b.size - 1) / cs);
    for (std::size_t c = first; c <= last && c < n; ++c) {
      m.state_.chunk_hashes[c].clear();
    }
  }
  for (std::size_t c = static_cast<std::size_t>(covered / cs); c < n; ++c) {
    if (m.chunk_offset(c) + m.chunk_length(c) > covered) {
      m.state_.chunk_hashes[c].clear();
    }
  }
  for (const auto &b : map.blocks) {
    if (b.status != MapStatus::bad || b.size == 0) {
      continue;
    }
    std::uint64_t at = b.pos;
    const std::uint64_t end = std::min(b.pos + b.size, m.state_.source_size);
    while (at < end) {
      const auto c = static_cast<std::size_t>(at / cs);
      const std::uint64_t stop = std::min(end, m.chunk_offset(c) + m.chunk_length(c));
      if (m.finished(c)) {
        append_range(m.bad_[c], {at, stop - at});
      }
      at = stop;
    }
  }
  return m;
}

void CopyMap::finish(std::size_t c, std::string hash, std::vector<ByteRange> bad) {
  state_.chunk_hashes[c] = std::move(hash);
  if (bad.empty()) {
    bad_.erase(c);
  } else {
    bad_[c] = std::move(bad);
  }
}

void CopyMap::unfinish(std::size_t c) {
  state_.chunk_hashes[c].clear();
  bad_.erase(c);
}

const std::vector<ByteRange> &CopyMap::bad_in(std::size_t c) const {
  static const std::vector<ByteRange> none;
  const auto it = bad_.find(c);
  return it == bad_.end() ? none : it->second;
}

std::vector<std::size_t> CopyMap::chunks_with_bad() const {
  std::vector<std::size_t> out;
  for (const auto &[c, ranges] : bad_) {
    if (!ranges.empty()) {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<ByteRange> CopyMap::bad_ranges() const {
  std::vector<ByteRange> out;
  for (const auto &[c, ranges] : bad_) {
    for (const auto &r : ranges) {
      append_range(out, r);
    }
  }
  return out;
}

std::uint64_t CopyMap::bad_bytes() const {
  std::uint64_t n = 0;
  for (const auto &[c, ranges] : bad_) {
    for (const auto &r : ranges) {
      n += r.length;
    }
  }
  return n;
}

Mapfile CopyMap::to_mapfile(char phase, int pass) const {
  Mapfile m;
  m.current_status = phase;
  m.current_pass = pass;
  m.current_pos = state_.source_size;
  bool have_pos = false;
  for (std::size_t c = 0; c < chunk_count(); ++c) {
    const std::uint64_t off = chunk_offset(c);
    const std::uint64_t len = chunk_length(c);
    if (!finished(c)) {
      if (!have_pos) {
        m.current_pos = off;
        have_pos = true;
      }
      append_block(m.blocks, {off, len, MapStatus::non_tried});
      continue;
    }
    std::uint64_t at = off;
    for (const auto &r : bad_in(c)) {
      append_block(m.blocks, {at, r.offset - at, MapStatus::finished});
      append_block(m.blocks, {r.offset, r.length, MapStatus::bad});
      at = r.end();
    }
    append_block(m.blocks, {at, off + len - at, MapStatus::finished});
  }
  return m;
}

} // namespace kvmr::copy
