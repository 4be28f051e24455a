// Turns the parsed metadata tree into a VolumeGroup (see metadata.hpp).
// The key names and their meaning follow LVM2's lib/format_text/import_vsn1.c.
#include "rescue/lvm/metadata.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <unordered_set>

namespace kvmr::lvm {
namespace {

// Largest extent count or sector number accepted: keeps every byte offset
// computed from them (sectors * 512, extents * extent size) inside 64 bits.
constexpr std::uint64_t kMaxSectors = std::uint64_t{1} << 54U;
constexpr std::uint64_t kMaxExtentSize = std::uint64_t{1} << 32U; // sectors (2 TiB)

class Reader {
public:
  explicit Reader(std::string_view origin) : origin_(origin) {}

  [[noreturn]] void fail(std::size_t line, const std::string &what) const {
    throw InputError(fmt::format("{}{}LVM metadata line {}: {}", origin_,
                                 origin_.empty() ? "" : ": ", line, what));
  }

  [[nodiscard]] const ConfigNode &need(const ConfigNode &sec, std::string_view key,
                                       std::string_view where) const {
    const ConfigNode *n = sec.find(key);
    if (n == nullptr) {
      fail(sec.line, fmt::format("{} has no '{}'", where, key));
    }
    return *n;
  }

  [[nodiscard]] const ConfigNode &need_section(const ConfigNode &sec, std::string_view key,
                                               std::string_view where) const {
    const ConfigNode &n = need(sec, key, where);
    if (!n.section) {
      fail(n.line, fmt::format("{}: '{}' must be a section", where, key));
    }
    return n;
  }

  [[nodiscard]] std::uint64_t number(const ConfigNode &n, std::string_view where,
                                     std::uint64_t max = kMaxSectors) const {
    if (n.section || n.array || n.values.size() != 1 ||
        n.values[0].kind != ConfigValue::Kind::integer || n.values[0].integer < 0) {
      fail(n.line, fmt::format("{}: '{}' must be a non-negative integer", where, n.key));
    }
    const auto v = static_cast<std::uint64_t>(n.values[0].integer);
    if (v > max) {
      fail(n.line, fmt::format("{}: '{}' = {} is too large (limit {})", where, n.key, v, max));
    }
    return v;
  }

  [[nodiscard]] std::uint64_t need_number(const ConfigNode &sec, std::string_view key,
                                          std::string_view where,
                                          std::uint64_t max = kMaxSectors) const {
    return number(need(sec, key, where), where, max);
  }

  [[nodiscard]] std::string string(const ConfigNode &n, std::string_view where) const {
    if (n.section || n.array || n.values.size() != 1 ||
        n.values[0].kind != ConfigValue::Kind::string) {
      fail(n.line, fmt::format("{}: '{}' must be a string", where, n.key));
    }
    return n.values[0].text;
  }

  [[nodiscard]] std::string need_string(const ConfigNode &sec, std::string_view key,
                                        std::string_view where) const {
    return string(need(sec, key, where), where);
  }

  [[nodiscard]] std::string opt_string(const ConfigNode &sec, std::string_view key,
                                       std::string_view where) const {
    const ConfigNode *n = sec.find(key);
    return n == nullptr ? std::string() : string(*n, where);
  }

  [[nodiscard]] std::vector<std::string> opt_strings(const ConfigNode &sec, std::string_view key,
                                                     std::string_view where) const {
    std::vector<std::string> out;
    const ConfigNode *n = sec.find(key);
    if (n == nullptr) {
      return out;
    }
    if (n->section) {
      fail(n->line, fmt::format("{}: '{}' must be a list of strings", where, key));
    }
    for (const auto &v : n->values) {
      if (v.kind != ConfigValue::Kind::string) {
        fail(n->line, fmt::format("{}: '{}' must be a list of strings", where, key));
      }
      out.push_back(v.text);
    }
    return out;
  }

  [[nodiscard]] PhysicalVolume pv(const ConfigNode &sec) const {
    const std::string where = fmt::format("physical volume '{}'", sec.key);
    if (!sec.section) {
      fail(sec.line, where + " must be a section");
    }
    PhysicalVolume p;
    p.name = sec.key;
    p.line = sec.line;
    p.id = need_string(sec, "id", where);
    p.device = opt_string(sec, "device", where);
    p.status = opt_strings(sec, "status", where);
    p.flags = opt_strings(sec, "flags", where);
    if (const ConfigNode *n = sec.find("dev_size")) {
      p.dev_size = number(*n, where);
    }
    p.pe_start = need_number(sec, "pe_start", where);
    p.pe_count = need_number(sec, "pe_count", where);
    return p;
  }

  [[nodiscard]] LvSegment segment(const ConfigNode &sec, const std::string &lv_where,
                                  const std::unordered_set<std::string> &pv_names) const {
    const std::string where = fmt::format("{} {}", lv_where, sec.key);
    if (!sec.section) {
      fail(sec.line, where + " must be a section");
    }
    LvSegment s;
    s.line = sec.line;
    s.start_extent = need_number(sec, "start_extent", where);
    s.extent_count = need_number(sec, "extent_count", where);
    if (s.extent_count == 0) {
      fail(sec.line, where + " has no extents");
    }
    s.type_name = need_string(sec, "type", where);
    if (s.type_name != "striped" && s.type_name != "linear") {
      s.type = SegmentType::other;
      return s;
    }
    const std::uint64_t count = s.type_name == "linear" && sec.find("stripe_count") == nullptr
                                    ? 1
                                    : need_number(sec, "stripe_count", where, 1U << 16U);
    if (count == 0) {
      fail(sec.line, where + ": 'stripe_count' is 0");
    }
    if (s.extent_count % count != 0) {
      fail(sec.line, fmt::format("{}: {} extents do not divide into {} stripes", where,
                                 s.extent_count, count));
    }
    if (count > 1) {
      s.stripe_size = need_number(sec, "stripe_size", where, kMaxExtentSize);
      if (s.stripe_size == 0) {
        fail(sec.line, where + ": 'stripe_size' is 0");
      }
    }
    s.type = count == 1 ? SegmentType::linear : SegmentType::striped;
    const ConfigNode &list = need(sec, "stripes", where);
    if (list.section || list.values.size() != 2 * count) {
      fail(list.line,
           fmt::format("{}: 'stripes' must list {} pairs of PV name and extent", where, count));
    }
    for (std::size_t i = 0; i < list.values.size(); i += 2) {
      const auto &name = list.values[i];
      const auto &ext = list.values[i + 1];
      if (name.kind != ConfigValue::Kind::string || ext.kind != ConfigValue::Kind::integer ||
          ext.integer < 0 || static_cast<std::uint64_t>(ext.integer) > kMaxSectors) {
        fail(list.line,
             fmt::format("{}: stripe {} is not a PV name and an extent number", where, i / 2));
      }
      if (!pv_names.contains(name.text)) {
        fail(list.line,
             fmt::format("{}: stripe {} is on unknown PV '{}'", where, i / 2, name.text));
      }
      s.stripes.push_back({name.text, static_cast<std::uint64_t>(ext.integer)});
    }
    return s;
  }

  [[nodiscard]] LogicalVolume lv(const ConfigNode &sec,
                                 const std::unordered_set<std::string> &pv_names) const {
    const std::string where = fmt::format("logical volume '{}'", sec.key);
    if (!sec.section) {
      fail(sec.line, where + " must be a section");
    }
    LogicalVolume l;
    l.name = sec.key;
    l.line = sec.line;
    l.id = need_string(sec, "id", where);
    l.status = opt_strings(sec, "status", where);
    l.flags = opt_strings(sec, "flags", where);
    const std::uint64_t count = need_number(sec, "segment_count", where, 1U << 20U);
    for (const auto &c : sec.children) {
      if (c.section) {
        l.segments.push_back(segment(c, where, pv_names));
      }
    }
    if (l.segments.size() != count) {
      fail(sec.line, fmt::format("{}: segment_count is {} but {} segments are listed", where, count,
                                 l.segments.size()));
    }
    std::sort(l.segments.begin(), l.segments.end(), [](const LvSegment &a, const LvSegment &b) {
      return a.start_extent < b.start_extent;
    });
    std::uint64_t next = 0;
    for (const auto &s : l.segments) {
      if (s.start_extent != next) {
        fail(s.line, fmt::format("{}: segment at extent {} leaves a gap or overlap (expected "
                                 "extent {})",
                                 where, s.start_extent, next));
      }
      next = s.start_extent + s.extent_count;
      if (next > kMaxSectors) {
        fail(s.line, where + " has too many extents");
      }
    }
    return l;
  }

private:
  std::string origin_;
};

} // namespace

bool PhysicalVolume::flagged_missing() const {
  return std::find(flags.begin(), flags.end(), "MISSING") != flags.end() ||
         std::find(status.begin(), status.end(), "MISSING") != status.end();
}

std::uint64_t LogicalVolume::extent_count() const {
  return segments.empty() ? 0 : segments.back().start_extent + segments.back().extent_count;
}

bool LogicalVolume::visible() const {
  return std::find(status.begin(), status.end(), "VISIBLE") != status.end();
}

const PhysicalVolume *VolumeGroup::find_pv(std::string_view pv_name) const {
  const auto it = std::find_if(physical_volumes.begin(), physical_volumes.end(),
                               [&](const PhysicalVolume &p) { return p.name == pv_name; });
  return it == physical_volumes.end() ? nullptr : &*it;
}

const LogicalVolume *VolumeGroup::find_lv(std::string_view lv_name) const {
  const auto it = std::find_if(logical_volumes.begin(), logical_volumes.end(),
                               [&](const LogicalVolume &l) { return l.name == lv_name; });
  return it == logical_volumes.end() ? nullptr : &*it;
}

VolumeGroup volume_group_from_config(const ConfigNode &root, std::string_view origin) {
  const Reader r(origin);
  const ConfigNode *vg_sec = nullptr;
  for (const auto &c : root.children) {
    if (c.section) {
      if (vg_sec != nullptr) {
        r.fail(c.line, fmt::format("a second volume group section '{}' (the first is '{}')", c.key,
                                   vg_sec->key));
      }
      vg_sec = &c;
    }
  }
  if (vg_sec == nullptr) {
    r.fail(1, "no volume group section (expected 'name { ... }')");
  }
  if (const ConfigNode *n = root.find("contents");
      n != nullptr && r.string(*n, "metadata") != "Text Format Volume Group") {
    r.fail(n->line, "contents is not \"Text Format Volume Group\"");
  }
  if (const ConfigNode *n = root.find("version"); n != nullptr && r.number(*n, "metadata") != 1) {
    r.fail(n->line, "unknown metadata format version (only 1 is known)");
  }

  const ConfigNode &s = *vg_sec;
  const std::string where = fmt::format("volume group '{}'", s.key);
  VolumeGroup vg;
  vg.name = s.key;
  vg.id = r.need_string(s, "id", where);
  vg.seqno = r.need_number(s, "seqno", where, std::numeric_limits<std::int64_t>::max());
  vg.format = r.opt_string(s, "format", where);
  vg.status = r.opt_strings(s, "status", where);
  vg.flags = r.opt_strings(s, "flags", where);
  vg.extent_size = r.need_number(s, "extent_size", where, kMaxExtentSize);
  if (vg.extent_size == 0) {
    r.fail(r.need(s, "extent_size", where).line, where + ": extent_size is 0");
  }
  vg.creation_host = r.opt_string(root, "creation_host", "metadata");
  if (const ConfigNode *n = root.find("creation_time")) {
    vg.creation_time = static_cast<std::int64_t>(r.number(*n, "metadata", UINT64_MAX >> 1U));
  }
  vg.description = r.opt_string(root, "description", "metadata");

  std::unordered_set<std::string> pv_names;
  for (const auto &c : r.need_section(s, "physical_volumes", where).children) {
    vg.physical_volumes.push_back(r.pv(c));
    pv_names.insert(c.key);
  }
  if (const ConfigNode *lvs = s.find("logical_volumes")) {
    if (!lvs->section) {
      r.fail(lvs->line, where + ": 'logical_volumes' must be a section");
    }
    for (const auto &c : lvs->children) {
      vg.logical_volumes.push_back(r.lv(c, pv_names));
    }
  }
  return vg;
}

VolumeGroup parse_volume_group(std::string_view text, std::string_view origin,
                               const ConfigLimits &limits) {
  ConfigNode root;
  try {
    root = parse_config(text, limits);
  } catch (const InputError &e) {
    if (origin.empty()) {
      throw;
    }
    throw InputError(fmt::format("{}: {}", origin, e.what()));
  }
  return volume_group_from_config(root, origin);
}

std::string format_lvm_uuid(std::string_view raw) {
  if (raw.size() != 32) {
    return std::string(raw);
  }
  std::string out;
  std::size_t pos = 0;
  constexpr std::array<std::size_t, 7> kGroups{6, 4, 4, 4, 4, 4, 6};
  for (const std::size_t len : kGroups) {
    if (pos != 0) {
      out.push_back('-');
    }
    out.append(raw.substr(pos, len));
    pos += len;
  }
  return out;
}

std::string strip_lvm_uuid(std::string_view uuid) {
  std::string out;
  for (const char c : uuid) {
    if (c != '-') {
      out.push_back(c);
    }
  }
  return out;
}

} // namespace kvmr::lvm
