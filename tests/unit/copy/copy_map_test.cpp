// Copy bookkeeping: the ddrescue view of chunks and bad ranges, and what a
// rerun trusts from a saved state and mapfile.
#include "rescue/copy/copy_map.hpp"

#include <doctest/doctest.h>

using namespace kvmr::copy;

namespace {

ResumeState state(std::uint64_t size, std::uint64_t chunk) {
  ResumeState s;
  s.source = "src";
  s.source_size = size;
  s.chunk_size = chunk;
  s.chunk_hashes.assign(static_cast<std::size_t>((size + chunk - 1) / chunk), "");
  return s;
}

} // namespace

TEST_CASE("CopyMap: mapfile view") {
  CopyMap m(state(4000, 1000));
  CHECK(m.chunk_length(3) == 1000);
  m.finish(0, "h0", {});
  m.finish(1, "h1", {{1200, 100}, {1500, 500}});
  m.finish(3, "z", {});
  const auto f = m.to_mapfile('?', 1);
  CHECK(f.current_pos == 2000);
  const std::vector<MapBlock> want = {
      {0, 1200, MapStatus::finished},     {1200, 100, MapStatus::bad},
      {1300, 200, MapStatus::finished},   {1500, 500, MapStatus::bad},
      {2000, 1000, MapStatus::non_tried}, {3000, 1000, MapStatus::finished}};
  CHECK(f.blocks == want);
  CHECK(m.bad_bytes() == 600);
  CHECK(m.chunks_with_bad() == std::vector<std::size_t>{1});
  m.unfinish(1);
  CHECK(m.bad_bytes() == 0);
  CHECK(m.finished_count() == 2);
}

TEST_CASE("CopyMap: resume trusts a chunk only when state and mapfile agree") {
  CopyMap m(state(4000, 1000));
  m.finish(0, "h0", {});
  m.finish(1, "h1", {{1200, 100}});
  m.finish(2, "h2", {});
  auto saved = m.to_mapfile('?', 1);
  // The mapfile lost chunk 2 (saved before it was finished) and knows
  // nothing about chunk 3.
  saved.blocks.back().size -= 1000;
  saved.blocks.push_back({2000, 500, MapStatus::non_tried});
  ResumeState s = m.state();
  s.chunk_hashes[3] = "h3"; // the state claims chunk 3, the mapfile does not cover it
  const auto r = CopyMap::resume(s, saved);
  CHECK(r.finished(0));
  CHECK(r.finished(1));
  CHECK_FALSE(r.finished(2));
  CHECK_FALSE(r.finished(3));
  REQUIRE(r.bad_in(1).size() == 1);
  CHECK(r.bad_in(1)[0] == ByteRange{1200, 100});
}

TEST_CASE("ResumeState: JSON round trip and matching") {
  auto s = state(2500, 1000);
  s.chunk_hashes[1] = "abc";
  const auto back = resume_state_from_json(to_json_text(s), "t");
  CHECK(back.matches(s));
  CHECK(back.chunk_hashes == s.chunk_hashes);
  auto other = s;
  other.source_size = 2600;
  CHECK_FALSE(other.matches(s));
  CHECK_THROWS(resume_state_from_json("{}", "t"));
}
