// The copy's bookkeeping while it runs: which chunks are finished (with
// their hashes, the ResumeState) and which byte ranges could not be read.
// It is what NAME.partial.state and NAME.map are written from, and what a
// rerun rebuilds from them. Not thread-safe: the engine locks around it.
#pragma once

#include "rescue/copy/mapfile.hpp"
#include "rescue/copy/pipeline.hpp"
#include "rescue/copy/resume_state.hpp"

#include <cstdint>
#include <map>
#include <vector>

namespace kvmr::copy {

class CopyMap {
public:
  // A fresh map: nothing finished. STATE.chunk_hashes must be all "".
  explicit CopyMap(ResumeState state) : state_(std::move(state)) {}

  // Rebuilds from a saved state and mapfile: a chunk counts as finished
  // only when the state has its hash and the mapfile has every byte of it
  // finished or bad; the mapfile's bad ranges inside finished chunks are
  // kept. STATE must match the source (ResumeState::matches).
  static CopyMap resume(ResumeState state, const Mapfile &map);

  [[nodiscard]] const ResumeState &state() const { return state_; }
  [[nodiscard]] std::size_t chunk_count() const { return state_.chunk_count(); }
  [[nodiscard]] std::uint64_t chunk_offset(std::size_t c) const { return c * state_.chunk_size; }
  [[nodiscard]] std::uint64_t chunk_length(std::size_t c) const;
  [[nodiscard]] bool finished(std::size_t c) const { return state_.finished(c); }
  [[nodiscard]] std::size_t finished_count() const;

  // Records chunk C as finished with HASH and its unreadable ranges BAD
  // (replacing earlier ones).
  void finish(std::size_t c, std::string hash, std::vector<ByteRange> bad);
  // Forgets chunk C (and its bad ranges): it will be copied again.
  void unfinish(std::size_t c);

  [[nodiscard]] const std::vector<ByteRange> &bad_in(std::size_t c) const;
  // Chunks with bad ranges, in order.
  [[nodiscard]] std::vector<std::size_t> chunks_with_bad() const;
  // Every bad range, in order, merged across chunk boundaries.
  [[nodiscard]] std::vector<ByteRange> bad_ranges() const;
  [[nodiscard]] std::uint64_t bad_bytes() const;

  // The ddrescue view: finished chunks '+' except their bad ranges '-',
  // others '?'. The current position is the first unfinished byte (the
  // size when all are finished); PHASE and PASS as ddrescue's.
  [[nodiscard]] Mapfile to_mapfile(char phase, int pass) const;

private:
  ResumeState state_;
  std::map<std::size_t, std::vector<ByteRange>> bad_;
};

} // namespace kvmr::copy
