// The answer file: a RescuePlan as JSON (docs/schemas/plan.schema.json),
// saved atomically and loaded with every error naming the file and field.
#pragma once

#include "rescue/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace kvmr::plan {

nlohmann::json to_json(const RescuePlan &p);
// What `plan --json` prints: to_json with every secret of the kickstart
// choices (the given root hash, the old host's hashes, keys and sudoers
// text) replaced by kHidden; plan_from_json refuses it as an answer file.
nlohmann::json to_redacted_json(const RescuePlan &p);
inline constexpr const char *kHidden = "(not shown)";
// Throws InputError naming the field ("items[3].dest: missing") and
// refusing an unknown schema_version or kind.
RescuePlan plan_from_json(const nlohmann::json &j);

// Writes PATH.partial, fsyncs, renames. Mode 0600 (the plan may name
// secret files and a password hash).
void save_plan(const RescuePlan &p, const std::string &path);
// Throws InputError naming PATH when it cannot be read or parsed.
RescuePlan load_plan(const std::string &path);

} // namespace kvmr::plan
