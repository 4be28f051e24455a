// Re-reading and comparing the target (see verify_target.hpp).
#include "rescue/copy/verify_target.hpp"

#include "rescue/copy/tolerant_read.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "rescue/util/error.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace kvmr::copy {

VerifyOutcome verify_target(const std::string &path, const CopyMap &map, Pipeline &pipe,
                            const std::atomic<bool> *cancel, const RangeHook &before_read,
                            const std::function<void(std::uint64_t)> &on_block, bool direct,
                            const ChunkGate &gate) {
  io::FileByteSource target(path);
  const ResumeState &state = map.state();
  const HashKind kind = state.hash;
  // The target's extents over the first KNOWN chunks: all of them at once,
  // or, behind a GATE, each run of chunks as the copy finishes it.
  std::vector<io::Extent> extents;
  std::size_t known = 0;
  if (!gate) {
    extents = target.extents(0, target.size());
    known = map.chunk_count();
  }
  const auto finished_through = [&](std::size_t c) {
    if (c < known) {
      return true;
    }
    const auto upto = gate(c);
    if (!upto || *upto <= c) {
      return false;
    }
    const std::uint64_t from = map.chunk_offset(known);
    const std::uint64_t to = map.chunk_offset(*upto - 1) + map.chunk_length(*upto - 1);
    for (const auto &e : target.extents(from, to - from)) {
      io::append_extent(extents, e);
    }
    known = *upto;
    return true;
  };
  VerifyOutcome out;
  if (target.size() != state.source_size) {
    throw SysError(path,
                   "verify: size is " + std::to_string(target.size()) + ", expected " +
                       std::to_string(state.source_size),
                   EIO);
  }

  // The hash of a chunk of zeros, by length (at most two lengths occur;
  // both are filled in below, before the threads start, so the reading
  // and comparing threads only look them up).
  std::map<std::uint64_t, std::string> zero_hashes;
  const auto zeros_hash = [&](std::uint64_t len) -> const std::string & {
    auto it = zero_hashes.find(len);
    if (it == zero_hashes.end()) {
      it = zero_hashes.emplace(len, zeros_hash_hex(kind, len)).first;
    }
    return it->second;
  };
  zeros_hash(state.chunk_size);
  if (map.chunk_count() > 0) {
    zeros_hash(map.chunk_length(map.chunk_count() - 1));
  }

  // A chunk that is a hole in the target is checked by the reading thread
  // itself (its recorded hash must be that of zeros) and its zeros reach
  // the whole-content hash through the next block's zeros_before (or after
  // the run, at the end), so it costs no trip through the pipeline.
  std::size_t next = 0;
  std::uint64_t read = 0;
  std::uint64_t zeros_pending = 0;
  std::size_t holes_compared = 0;
  std::vector<std::size_t> holes_mismatched;
  const auto produce = [&](Block &b) {
    for (;;) {
      if ((cancel != nullptr && cancel->load()) || next == map.chunk_count() ||
          !finished_through(next)) {
        return false;
      }
      const std::uint64_t off = map.chunk_offset(next);
      const std::uint64_t len = map.chunk_length(next);
      if (!holes_only(extents_within(extents, off, off + len))) {
        break;
      }
      const std::string &expected = state.chunk_hashes[next];
      if (expected != zero_chunk_marker && expected != zeros_hash(len)) {
        holes_mismatched.push_back(next);
      }
      ++holes_compared;
      zeros_pending += len;
      ++next;
    }
    const std::size_t c = next++;
    b.chunk = c;
    b.offset = map.chunk_offset(c);
    b.zeros_before = std::exchange(zeros_pending, 0);
    b.data = b.data.first(static_cast<std::size_t>(map.chunk_length(c)));
    if (before_read) {
      before_read(b.offset, b.data.size());
    }
    auto ext = extents_within(extents, b.offset, b.offset + b.data.size());
    const ReadWay way = direct ? ReadWay::direct : ReadWay::buffered;
    fill_block(target, b, std::move(ext), 512, way, way);
    if (!b.bad.empty()) {
      throw SysError(path, "verify: read at offset " + std::to_string(b.bad.front().offset), EIO);
    }
    return true;
  };
  Hasher whole(kind);
  std::size_t compared = 0;
  const auto compare = [&](Block &b) {
    const std::string &expected = state.chunk_hashes[b.chunk];
    bool same = false;
    if (b.all_zero) {
      same = expected == zero_chunk_marker || expected == zeros_hash(b.data.size());
    } else {
      const std::string actual = hash_hex(kind, b.data);
      same = actual == (expected == zero_chunk_marker ? zeros_hash(b.data.size()) : expected);
    }
    if (!same) {
      out.mismatched.push_back(b.chunk);
    }
    ++compared;
    read += b.data_bytes;
    if (on_block) {
      on_block(read);
    }
  };
  const auto hash_all = [&](Block &b) {
    whole.update_zeros(b.zeros_before);
    if (b.all_zero) {
      whole.update_zeros(b.data.size());
    } else {
      whole.update(b.data);
    }
  };
  pipe.run(produce, {compare, hash_all}, [](Block &) {});
  out.bytes_read = read;
  out.complete = compared + holes_compared == map.chunk_count();
  out.mismatched.insert(out.mismatched.end(), holes_mismatched.begin(), holes_mismatched.end());
  std::sort(out.mismatched.begin(), out.mismatched.end());
  if (out.complete) {
    whole.update_zeros(zeros_pending); // the holes at the end
    out.whole_hash = whole.hex_digest();
  }
  return out;
}

} // namespace kvmr::copy
