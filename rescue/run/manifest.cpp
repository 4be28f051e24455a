// The manifest as JSON (see manifest.hpp).
#include "rescue/run/manifest.hpp"

#include "rescue/run/atomic_text.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <sstream>

namespace kvmr::run {
namespace {

using nlohmann::json;

nlohmann::json check_json(const CheckResult &c) {
  return {{"state", c.state}, {"detail", c.detail}};
}

// Reads FIELD of J (an object) as T, naming WHERE.FIELD on failure.
template <typename T> T field(const json &j, const std::string &where, const char *name) {
  const auto it = j.find(name);
  if (it == j.end()) {
    throw InputError(fmt::format("{}{}: missing", where, name));
  }
  try {
    return it->get<T>();
  } catch (const json::exception &e) {
    throw InputError(fmt::format("{}{}: {}", where, name, e.what()));
  }
}

template <typename T>
T optional_field(const json &j, const std::string &where, const char *name, T fallback) {
  if (!j.contains(name) || j.at(name).is_null()) {
    return fallback;
  }
  return field<T>(j, where, name);
}

CheckResult check_from(const json &j, const std::string &where, const char *name) {
  CheckResult c;
  if (!j.contains(name)) {
    return c;
  }
  const std::string w = where + name + ".";
  c.state = field<std::string>(j.at(name), w, "state");
  c.detail = optional_field<std::string>(j.at(name), w, "detail", "");
  return c;
}

} // namespace

const char *to_string(ItemStatus s) noexcept {
  switch (s) {
  case ItemStatus::pending: return "pending";
  case ItemStatus::copied: return "copied";
  case ItemStatus::copied_with_bad_sectors: return "copied_with_bad_sectors";
  case ItemStatus::failed: return "failed";
  }
  return "?";
}

ItemStatus parse_item_status(const std::string &s) {
  for (const auto v : {ItemStatus::pending, ItemStatus::copied, ItemStatus::copied_with_bad_sectors,
                       ItemStatus::failed}) {
    if (s == to_string(v)) {
      return v;
    }
  }
  throw InputError(fmt::format("unknown item status \"{}\"", s));
}

Manifest manifest_for(const plan::RescuePlan &p, const std::string &hash_kind) {
  Manifest m;
  m.generator = "kvm-rescue 0.1.0";
  m.plan_created = p.created;
  m.started = utc_now();
  m.updated = m.started;
  m.hash_kind = hash_kind;
  for (const auto &it : p.items) {
    ManifestItem mi;
    mi.kind = it.kind;
    mi.vm = it.vm;
    mi.source = it.source;
    mi.dest = it.dest;
    mi.new_path = it.new_path;
    mi.format = it.format;
    mi.secret = it.secret;
    mi.size = it.size;
    mi.hash_kind = hash_kind;
    m.items.push_back(mi);
  }
  return m;
}

nlohmann::json to_json(const Manifest &m) {
  json items = json::array();
  for (const auto &i : m.items) {
    json bad = json::array();
    for (const auto &r : i.bad_ranges) {
      bad.push_back({{"offset", r.offset}, {"length", r.length}});
    }
    items.push_back({{"kind", plan::to_string(i.kind)},
                     {"vm", i.vm},
                     {"source", i.source},
                     {"dest", i.dest},
                     {"new_path", i.new_path},
                     {"format", i.format},
                     {"secret", i.secret},
                     {"status", to_string(i.status)},
                     {"size", i.size},
                     {"data_bytes", i.data_bytes},
                     {"allocated_bytes", i.allocated_bytes},
                     {"bytes_read", i.bytes_read},
                     {"hash_kind", i.hash_kind},
                     // A secret's hash would let anyone who can read this
                     // file find a short value: it is not published.
                     {"hash", i.secret ? std::string() : i.hash},
                     {"verified", i.verified},
                     {"resumed", i.resumed},
                     {"reused", i.reused},
                     {"bad_ranges", bad},
                     {"map_path", i.map_path},
                     {"original_dest", i.original_dest},
                     {"original_hash", i.secret ? std::string() : i.original_hash},
                     {"backing_rewrite", i.backing_rewrite},
                     {"converted_from", i.converted_from},
                     {"image_check", check_json(i.image_check)},
                     {"xml_validation", check_json(i.xml_validation)},
                     {"error", i.error},
                     {"copy_seconds", i.copy_seconds},
                     {"verify_seconds", i.verify_seconds}});
  }
  return {
      {"schema_version", m.schema_version}, {"kind", kManifestKind},  {"generator", m.generator},
      {"plan_created", m.plan_created},     {"started", m.started},   {"updated", m.updated},
      {"hash_kind", m.hash_kind},           {"complete", m.complete}, {"items", items}};
}

Manifest manifest_from_json(const nlohmann::json &j) {
  if (!j.is_object()) {
    throw InputError("manifest: not a JSON object");
  }
  Manifest m;
  m.schema_version = field<int>(j, "", "schema_version");
  if (m.schema_version != kManifestSchemaVersion) {
    throw InputError(fmt::format("schema_version: {} is not supported (this kvm-rescue reads {})",
                                 m.schema_version, kManifestSchemaVersion));
  }
  if (field<std::string>(j, "", "kind") != kManifestKind) {
    throw InputError(fmt::format("kind: not \"{}\"", kManifestKind));
  }
  m.generator = optional_field<std::string>(j, "", "generator", "");
  m.plan_created = optional_field<std::string>(j, "", "plan_created", "");
  m.started = optional_field<std::string>(j, "", "started", "");
  m.updated = optional_field<std::string>(j, "", "updated", "");
  m.hash_kind = field<std::string>(j, "", "hash_kind");
  m.complete = optional_field<bool>(j, "", "complete", false);
  const json items = field<json>(j, "", "items");
  if (!items.is_array()) {
    throw InputError("items: not an array");
  }
  for (std::size_t n = 0; n < items.size(); ++n) {
    const json &x = items[n];
    const std::string w = fmt::format("items[{}].", n);
    if (!x.is_object()) {
      throw InputError(w + ": not an object");
    }
    ManifestItem i;
    i.kind = plan::parse_item_kind(field<std::string>(x, w, "kind"));
    i.vm = optional_field<std::string>(x, w, "vm", "");
    i.source = field<std::string>(x, w, "source");
    i.dest = field<std::string>(x, w, "dest");
    i.new_path = optional_field<std::string>(x, w, "new_path", "");
    i.format = optional_field<std::string>(x, w, "format", "");
    i.secret = optional_field<bool>(x, w, "secret", false);
    i.status = parse_item_status(field<std::string>(x, w, "status"));
    i.size = optional_field<std::uint64_t>(x, w, "size", 0);
    i.data_bytes = optional_field<std::uint64_t>(x, w, "data_bytes", 0);
    i.allocated_bytes = optional_field<std::uint64_t>(x, w, "allocated_bytes", 0);
    i.bytes_read = optional_field<std::uint64_t>(x, w, "bytes_read", 0);
    i.hash_kind = optional_field<std::string>(x, w, "hash_kind", "");
    i.hash = optional_field<std::string>(x, w, "hash", "");
    i.verified = optional_field<bool>(x, w, "verified", false);
    i.resumed = optional_field<bool>(x, w, "resumed", false);
    i.reused = optional_field<bool>(x, w, "reused", false);
    for (const auto &r : optional_field<json>(x, w, "bad_ranges", json::array())) {
      i.bad_ranges.push_back({field<std::uint64_t>(r, w + "bad_ranges.", "offset"),
                              field<std::uint64_t>(r, w + "bad_ranges.", "length")});
    }
    i.map_path = optional_field<std::string>(x, w, "map_path", "");
    i.original_dest = optional_field<std::string>(x, w, "original_dest", "");
    i.original_hash = optional_field<std::string>(x, w, "original_hash", "");
    i.backing_rewrite = optional_field<std::string>(x, w, "backing_rewrite", "");
    i.converted_from = optional_field<std::string>(x, w, "converted_from", "");
    i.image_check = check_from(x, w, "image_check");
    i.xml_validation = check_from(x, w, "xml_validation");
    i.error = optional_field<std::string>(x, w, "error", "");
    i.copy_seconds = optional_field<double>(x, w, "copy_seconds", 0.0);
    i.verify_seconds = optional_field<double>(x, w, "verify_seconds", 0.0);
    m.items.push_back(std::move(i));
  }
  return m;
}

void save_manifest(const Manifest &m, const std::string &path) {
  // Strings may be the old disk's bytes: invalid UTF-8 becomes U+FFFD.
  write_text_atomic(path, to_json(m).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

std::optional<Manifest> load_manifest(const std::string &path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw InputError(path + ": cannot be read");
  }
  try {
    return manifest_from_json(json::parse(in));
  } catch (const json::exception &e) {
    throw InputError(fmt::format("{}: not valid JSON: {}", path, e.what()));
  } catch (const InputError &e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
}

} // namespace kvmr::run
