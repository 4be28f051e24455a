// The resume state as JSON (see resume_state.hpp).
#include "rescue/copy/resume_state.hpp"

#include "rescue/util/error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace kvmr::copy {

bool ResumeState::matches(const ResumeState &other) const {
  return source == other.source && source_size == other.source_size &&
         chunk_size == other.chunk_size && hash == other.hash &&
         chunk_hashes.size() == other.chunk_hashes.size();
}

std::string to_json_text(const ResumeState &s) {
  nlohmann::json j;
  j["schema_version"] = ResumeState::schema_version;
  j["source"] = s.source;
  j["source_size"] = s.source_size;
  j["chunk_size"] = s.chunk_size;
  j["hash"] = std::string(hash_kind_name(s.hash));
  j["chunk_hashes"] = s.chunk_hashes;
  return j.dump() + "\n";
}

ResumeState resume_state_from_json(const std::string &text, const std::string &where) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.at("schema_version").get<int>() != ResumeState::schema_version) {
      throw InputError(where + ": unknown schema_version");
    }
    ResumeState s;
    s.source = j.at("source").get<std::string>();
    s.source_size = j.at("source_size").get<std::uint64_t>();
    s.chunk_size = j.at("chunk_size").get<std::uint64_t>();
    s.hash = parse_hash_kind(j.at("hash").get<std::string>());
    s.chunk_hashes = j.at("chunk_hashes").get<std::vector<std::string>>();
    if (s.chunk_size == 0 ||
        s.chunk_hashes.size() != (s.source_size + s.chunk_size - 1) / s.chunk_size) {
      throw InputError(where + ": chunk count does not match the source size");
    }
    return s;
  } catch (const nlohmann::json::exception &e) {
    throw InputError(where + ": " + e.what());
  }
}

std::optional<ResumeState> load_resume_state(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return resume_state_from_json(text.str(), path);
  } catch (const InputError &) {
    return std::nullopt;
  }
}

} // namespace kvmr::copy
