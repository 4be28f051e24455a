// What an interrupted copy keeps beside its NAME.partial so a rerun need
// not read finished parts again: the source's identity (size and name),
// the chunk size and hash kind, and the hash of every finished chunk
// (NAME.partial.state, JSON). A chunk's hash is over its logical content
// as written to the target: holes and unreadable sectors as zeros. The
// mapfile (NAME.map) holds which bytes are finished and which are bad.
#pragma once

#include "rescue/copy/hash.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::copy {

struct ResumeState {
  static constexpr int schema_version = 1;
  std::string source; // ByteSource::describe()
  std::uint64_t source_size = 0;
  std::uint64_t chunk_size = 0;
  HashKind hash = HashKind::xxh3_128;
  // One entry per chunk: "" not finished, "z" all zeros, else the hex hash.
  std::vector<std::string> chunk_hashes;

  [[nodiscard]] std::size_t chunk_count() const { return chunk_hashes.size(); }
  [[nodiscard]] bool finished(std::size_t chunk) const { return !chunk_hashes[chunk].empty(); }
  // Same source, chunk size and hash kind: its chunks can be trusted.
  [[nodiscard]] bool matches(const ResumeState &other) const;
};

inline constexpr const char *zero_chunk_marker = "z";

std::string to_json_text(const ResumeState &s);
// Throws InputError naming WHERE when TEXT is not a valid state.
ResumeState resume_state_from_json(const std::string &text, const std::string &where);
// nullopt when PATH does not exist or cannot be parsed (a torn or foreign
// file is no reason to stop: the copy then starts over).
std::optional<ResumeState> load_resume_state(const std::string &path);

} // namespace kvmr::copy
