// VG assembly and LV byte maps (see volume_map.hpp). Byte arithmetic on
// values from disk is checked: a product that does not fit 64 bits makes
// the LV unmappable instead of wrapping around.
#include "rescue/lvm/volume_map.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace kvmr::lvm {
namespace {

bool mul(std::uint64_t a, std::uint64_t b, std::uint64_t &out) {
  return !__builtin_mul_overflow(a, b, &out);
}

bool add(std::uint64_t a, std::uint64_t b, std::uint64_t &out) {
  return !__builtin_add_overflow(a, b, &out);
}

// Chooses the copy to trust: verified over unverified, then highest seqno.
bool better(const MetadataCopy &a, const MetadataCopy &b) {
  if (a.verified != b.verified) {
    return a.verified;
  }
  return a.vg.seqno > b.vg.seqno;
}

void place_pvs(AssembledVg &out, const std::vector<const PvLabel *> &by_uuid_candidates) {
  const std::uint64_t extent = out.vg.extent_size_bytes();
  for (const auto &p : out.vg.physical_volumes) {
    PvPlacement pl;
    pl.name = p.name;
    pl.id = p.id;
    pl.device_hint = p.device;
    const auto want = strip_lvm_uuid(p.id);
    for (const PvLabel *l : by_uuid_candidates) {
      if (strip_lvm_uuid(l->uuid) != want) {
        continue;
      }
      if (pl.present) {
        out.problems.push_back(fmt::format("PV {} ({}) found twice: {} at {} and {} at {}; "
                                           "using the first",
                                           p.name, p.id, pl.path, pl.pv_offset, l->path,
                                           l->pv_offset));
        continue;
      }
      pl.present = true;
      pl.path = l->path;
      pl.pv_offset = l->pv_offset;
      pl.available = l->available;
      pl.data_start = l->pv_offset + p.pe_start_bytes();
      std::uint64_t need = 0;
      if (!mul(p.pe_count, extent, need) || !add(need, p.pe_start_bytes(), need) ||
          need > l->available) {
        out.problems.push_back(
            fmt::format("PV {} on {} at {}: its {} extents end past the {} readable bytes", p.name,
                        l->path, l->pv_offset, p.pe_count, l->available));
      }
      if (!l->data_areas.empty() && l->data_areas.front().offset != p.pe_start_bytes()) {
        out.problems.push_back(fmt::format("PV {} on {}: pe_start {} differs from the label's "
                                           "data area at {} (using pe_start)",
                                           p.name, l->path, p.pe_start_bytes(),
                                           l->data_areas.front().offset));
      }
    }
    if (!pl.present) {
      out.problems.push_back(fmt::format("PV {} ({}, last seen as {}) is missing", p.name, p.id,
                                         p.device.empty() ? "?" : p.device));
    }
    out.pvs.push_back(std::move(pl));
  }
}

MappedSegment map_segment(const AssembledVg &out, const LogicalVolume &lv, const LvSegment &s,
                          std::vector<std::string> &problems) {
  const std::uint64_t extent = out.vg.extent_size_bytes();
  MappedSegment m;
  m.type = s.type;
  m.type_name = s.type_name;
  const auto where = fmt::format("LV {} extents {}..{}", lv.name, s.start_extent,
                                 s.start_extent + s.extent_count - 1);
  std::uint64_t end = 0;
  if (!mul(s.start_extent, extent, m.lv_offset) || !mul(s.extent_count, extent, m.length) ||
      !add(m.lv_offset, m.length, end)) {
    problems.push_back(where + ": byte offsets do not fit 64 bits");
    m.lv_offset = 0;
    m.length = 0;
    return m;
  }
  if (s.type == SegmentType::other) {
    problems.push_back(fmt::format("{}: segment type '{}' is not mapped here", where, s.type_name));
    return m;
  }
  m.stripe_size = s.stripe_size * kLvmSectorSize;
  const std::uint64_t per_stripe = s.extent_count / s.stripes.size();
  if (s.type == SegmentType::striped && (m.length / s.stripes.size()) % m.stripe_size != 0) {
    problems.push_back(
        fmt::format("{}: stripe size {} does not divide the stripe length", where, m.stripe_size));
  }
  for (const auto &st : s.stripes) {
    StripeTarget t;
    t.pv = st.pv;
    const PhysicalVolume *meta = out.vg.find_pv(st.pv);
    const auto pl = std::find_if(out.pvs.begin(), out.pvs.end(),
                                 [&](const PvPlacement &p) { return p.name == st.pv; });
    if (meta == nullptr || pl == out.pvs.end()) {
      problems.push_back(fmt::format("{}: unknown PV {}", where, st.pv));
      m.stripes.push_back(t);
      continue;
    }
    if (!pl->present) {
      problems.push_back(fmt::format("{}: on missing PV {} ({})", where, st.pv, pl->id));
      m.stripes.push_back(t);
      continue;
    }
    t.path = pl->path;
    std::uint64_t rel = 0;
    std::uint64_t end_rel = 0;
    const bool fits = mul(st.start_extent, extent, rel) &&
                      add(rel, pl->data_start, t.device_offset) &&
                      add(st.start_extent, per_stripe, end_rel);
    if (!fits || end_rel > meta->pe_count) {
      problems.push_back(fmt::format("{}: PV {} extents {}..{} lie past its end (pe_count {})",
                                     where, st.pv, st.start_extent,
                                     st.start_extent + per_stripe - 1, meta->pe_count));
      m.stripes.push_back(t);
      continue;
    }
    std::uint64_t stripe_bytes = 0;
    std::uint64_t dev_end = 0;
    if (!mul(per_stripe, extent, stripe_bytes) || !add(t.device_offset, stripe_bytes, dev_end) ||
        dev_end > pl->pv_offset + pl->available) {
      problems.push_back(fmt::format("{}: PV {} bytes {}..{} on {} lie past the {} readable bytes",
                                     where, st.pv, t.device_offset, dev_end, pl->path,
                                     pl->available));
      m.stripes.push_back(t);
      continue;
    }
    t.present = true;
    m.stripes.push_back(t);
  }
  return m;
}

LvMap map_lv(const AssembledVg &out, const LogicalVolume &lv) {
  LvMap m;
  m.name = lv.name;
  m.id = lv.id;
  m.visible = lv.visible();
  bool fits = true;
  for (const auto &s : lv.segments) {
    m.segments.push_back(map_segment(out, lv, s, m.problems));
    fits = fits && m.segments.back().length != 0;
  }
  if (!fits) { // a segment's bytes overflowed: nothing of the LV can be placed
    m.segments.clear();
  }
  if (!m.segments.empty()) {
    m.size = m.segments.back().lv_offset + m.segments.back().length;
  }
  return m;
}

} // namespace

std::vector<std::string> AssembledVg::missing_pvs() const {
  std::vector<std::string> out;
  for (const auto &p : pvs) {
    if (!p.present) {
      out.push_back(p.name);
    }
  }
  return out;
}

std::vector<std::string> AssembledVg::lvs_on_missing_pvs() const {
  std::vector<std::string> out;
  for (const auto &lv : vg.logical_volumes) {
    const bool hit = std::any_of(lv.segments.begin(), lv.segments.end(), [&](const LvSegment &s) {
      return std::any_of(s.stripes.begin(), s.stripes.end(), [&](const StripeArea &a) {
        return std::any_of(pvs.begin(), pvs.end(),
                           [&](const PvPlacement &p) { return p.name == a.pv && !p.present; });
      });
    });
    if (hit) {
      out.push_back(lv.name);
    }
  }
  return out;
}

const LvMap *AssembledVg::find_lv(std::string_view name) const {
  const auto it =
      std::find_if(lvs.begin(), lvs.end(), [&](const LvMap &l) { return l.name == name; });
  return it == lvs.end() ? nullptr : &*it;
}

Assembly assemble_volume_groups(const std::vector<PvLabel> &pvs) {
  Assembly a;
  std::map<std::string, const MetadataCopy *> best; // by VG id
  std::map<std::string, const PvLabel *> best_from;
  for (const auto &pv : pvs) {
    if (!pv.metadata) {
      continue;
    }
    const auto id = strip_lvm_uuid(pv.metadata->vg.id);
    const auto it = best.find(id);
    if (it == best.end() || better(*pv.metadata, *it->second)) {
      best[id] = &*pv.metadata;
      best_from[id] = &pv;
    }
  }
  std::vector<const PvLabel *> all;
  all.reserve(pvs.size());
  for (const auto &pv : pvs) {
    all.push_back(&pv);
  }
  for (const auto &[id, copy] : best) {
    AssembledVg vg;
    vg.vg = copy->vg;
    vg.metadata_path = best_from[id]->path;
    vg.metadata_verified = copy->verified;
    if (!copy->verified) {
      vg.problems.push_back(fmt::format("using an older, unverified metadata copy (seqno {}) "
                                        "from {}",
                                        copy->vg.seqno, vg.metadata_path));
    }
    for (const auto &pv : pvs) {
      if (pv.metadata && strip_lvm_uuid(pv.metadata->vg.id) == id &&
          pv.metadata->vg.seqno != copy->vg.seqno) {
        vg.problems.push_back(fmt::format("{} at {} holds older metadata (seqno {}, newest {})",
                                          pv.path, pv.pv_offset, pv.metadata->vg.seqno,
                                          copy->vg.seqno));
      } else if (pv.metadata && strip_lvm_uuid(pv.metadata->vg.id) == id &&
                 pv.metadata->text != copy->text) {
        vg.problems.push_back(fmt::format("{} at {} holds different metadata with the same "
                                          "seqno {}",
                                          pv.path, pv.pv_offset, copy->vg.seqno));
      }
    }
    place_pvs(vg, all);
    for (const auto &lv : vg.vg.logical_volumes) {
      vg.lvs.push_back(map_lv(vg, lv));
    }
    a.vgs.push_back(std::move(vg));
  }
  for (std::size_t i = 0; i < a.vgs.size(); ++i) {
    for (std::size_t j = i + 1; j < a.vgs.size(); ++j) {
      if (a.vgs[i].vg.name == a.vgs[j].vg.name) {
        a.problems.push_back(fmt::format("two volume groups are named {} (ids {} and {}); "
                                         "tell them apart by id",
                                         a.vgs[i].vg.name, a.vgs[i].vg.id, a.vgs[j].vg.id));
      }
    }
  }
  for (const auto &pv : pvs) {
    const auto uuid = strip_lvm_uuid(pv.uuid);
    const bool named = std::any_of(a.vgs.begin(), a.vgs.end(), [&](const AssembledVg &v) {
      return std::any_of(v.vg.physical_volumes.begin(), v.vg.physical_volumes.end(),
                         [&](const PhysicalVolume &p) { return strip_lvm_uuid(p.id) == uuid; });
    });
    if (!named) {
      a.orphans.push_back(fmt::format("{} at {}: PV {}", pv.path, pv.pv_offset, pv.uuid));
      if (pv.metadata) {
        a.problems.push_back(fmt::format("{} at {}: PV {} carries metadata of VG {} (seqno {}) "
                                         "but the newest metadata of that VG does not list it",
                                         pv.path, pv.pv_offset, pv.uuid, pv.metadata->vg.name,
                                         pv.metadata->vg.seqno));
      }
    }
  }
  return a;
}

ByteRange resolve(const LvMap &lv, std::uint64_t lv_offset) {
  const auto it =
      std::upper_bound(lv.segments.begin(), lv.segments.end(), lv_offset,
                       [](std::uint64_t off, const MappedSegment &s) { return off < s.lv_offset; });
  if (it == lv.segments.begin() || lv_offset >= lv.size) {
    throw InputError(
        fmt::format("LV {}: offset {} is past its end ({} bytes)", lv.name, lv_offset, lv.size));
  }
  const MappedSegment &s = *std::prev(it);
  const std::uint64_t in_seg = lv_offset - s.lv_offset;
  ByteRange r;
  r.lv_offset = lv_offset;
  if (s.stripes.empty()) { // a segment type not mapped here
    r.length = s.length - in_seg;
    return r;
  }
  std::uint64_t stripe_index = 0;
  std::uint64_t on_stripe = in_seg;
  r.length = s.length - in_seg;
  if (s.stripes.size() > 1) {
    const std::uint64_t n = s.stripes.size();
    const std::uint64_t chunk = in_seg / s.stripe_size;
    stripe_index = chunk % n;
    on_stripe = (chunk / n) * s.stripe_size + in_seg % s.stripe_size;
    r.length = std::min(r.length, s.stripe_size - in_seg % s.stripe_size);
  }
  const StripeTarget &t = s.stripes[stripe_index];
  r.present = t.present;
  if (t.present) {
    r.path = t.path;
    r.device_offset = t.device_offset + on_stripe;
  }
  return r;
}

std::vector<ByteRange> byte_ranges(const LvMap &lv, std::uint64_t from, std::uint64_t length) {
  std::vector<ByteRange> out;
  const std::uint64_t end = length > lv.size - std::min(from, lv.size) ? lv.size : from + length;
  for (std::uint64_t off = from; off < end;) {
    ByteRange r = resolve(lv, off);
    r.length = std::min(r.length, end - off);
    if (r.length == 0) { // cannot happen with segments from the metadata reader
      throw InputError(fmt::format("LV {}: empty range at offset {}", lv.name, off));
    }
    off += r.length;
    if (!out.empty()) {
      ByteRange &last = out.back();
      if (last.present == r.present && last.path == r.path &&
          (!r.present || last.device_offset + last.length == r.device_offset)) {
        last.length += r.length;
        continue;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<ByteRange> single_run(const LvMap &lv) {
  if (!lv.complete() || lv.size == 0) {
    return std::nullopt;
  }
  for (const auto &s : lv.segments) {
    if (s.type != SegmentType::linear) {
      return std::nullopt;
    }
  }
  auto ranges = byte_ranges(lv);
  if (ranges.size() != 1 || !ranges.front().present) {
    return std::nullopt;
  }
  return ranges.front();
}

LvAccess lv_access(const LvMap &lv) {
  if (!lv.complete() || lv.size == 0) {
    return LvAccess::unavailable;
  }
  return single_run(lv) ? LvAccess::loop_at_offset : LvAccess::device_mapper;
}

} // namespace kvmr::lvm
