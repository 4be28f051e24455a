// The qcow2 reverse map (see qcow2_map.hpp). Every table the image has is
// walked once: the header cluster, the active L1 table and its L2 tables,
// the refcount table and blocks, the snapshot table and each snapshot's L1
// and L2 tables. Each becomes an Owner of its file bytes; data clusters
// become Owners only where they meet a damaged range, so a large image
// costs its L2 tables' bytes and no more. Each damaged range is then
// told by the Owners it meets; bytes no Owner has are unallocated when
// the refcount says so, unknown otherwise.
#include "rescue/scan/qcow2_map.hpp"

#include "rescue/scan/qcow2.hpp"
#include "rescue/util/bytes.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <span>

namespace kvmr::scan {
namespace {

constexpr std::uint64_t kOffsetMask = 0x00fffffffffffe00ULL; // L1/L2 entry bits 9-55
constexpr std::uint64_t kCompressed = std::uint64_t{1} << 62U;
constexpr std::uint64_t kZeroFlag = 1;
constexpr std::uint64_t kFixedHeader = 104;
// qemu's limits (block/qcow2.h): larger tables are refused when opening.
constexpr std::uint64_t kMaxL1Bytes = std::uint64_t{32} << 20U;
constexpr std::uint64_t kMaxRefTableBytes = std::uint64_t{8} << 20U;
constexpr std::uint32_t kMaxSnapshots = 65536;
constexpr std::uint64_t kSnapshotFixed = 40;

// What a damaged L1 or L2 table means for the guest.
std::string lost_mapping(const char *table) {
  return fmt::format("metadata (unreadable): {} entries for the guest ranges are lost; those "
                     "guest bytes now read as zeros (or from the backing file)",
                     table);
}

enum class GuestMap {
  none,   // no guest bytes
  linear, // guest = guest + (file - start)
  table,  // 8-byte entries, each mapping PER guest bytes from GUEST on
  whole,  // any byte: [guest, guest + per)
};

struct Owner {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  Qcow2Area area = Qcow2Area::unknown;
  GuestMap map = GuestMap::none;
  std::uint64_t guest = 0;
  std::uint64_t per = 0;
  std::string note;
};

std::vector<Qcow2Range> merged(std::vector<Qcow2Range> v) {
  std::sort(v.begin(), v.end(),
            [](const Qcow2Range &a, const Qcow2Range &b) { return a.offset < b.offset; });
  std::vector<Qcow2Range> out;
  for (const auto &r : v) {
    if (r.length == 0) {
      continue;
    }
    if (!out.empty() && r.offset <= out.back().offset + out.back().length) {
      const std::uint64_t end =
          std::max(out.back().offset + out.back().length, r.offset + r.length);
      out.back().length = end - out.back().offset;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::string quoted(const std::string &name) {
  return fmt::format("'{}'", name);
}

class Mapper {
public:
  Mapper(io::ByteSource &img, const std::vector<Qcow2Range> &bad)
      : img_(img), bad_(merged(bad)), size_(img.size()) {}

  // The header, or a reason it cannot be used (then every range is told
  // by it).
  std::string open() {
    std::vector<std::byte> head = read(0, qcow2_first_read);
    try {
      h_ = parse_qcow2_header(head, img_.describe(), head.size() < qcow2_first_read);
      if (!h_.complete()) {
        head = read(0, h_.need_prefix);
        h_ = parse_qcow2_header(head, img_.describe(), true);
      }
    } catch (const InputError &e) {
      header_lost_ = damaged(0, kFixedHeader);
      return header_lost_ ? "metadata (unreadable): the qcow2 header is damaged; nothing "
                            "else can be mapped"
                          : fmt::format("not mapped: {}", e.what());
    }
    if ((h_.incompatible_features & qcow2_incompat_data_file) != 0) {
      return fmt::format("not mapped: the image keeps its guest data in an external data file "
                         "({}); its own clusters are metadata only",
                         h_.data_file.empty() ? "name unknown" : h_.data_file);
    }
    if ((h_.incompatible_features & qcow2_incompat_extended_l2) != 0) {
      return "not mapped: extended L2 entries (subclusters) are not supported";
    }
    if (const std::uint64_t unknown = unknown_incompatible(h_); unknown != 0) {
      return fmt::format("not mapped: unknown incompatible features 0x{:x}", unknown);
    }
    return {};
  }

  void walk() {
    const std::uint64_t cs = h_.cluster_size;
    owners_.push_back({0, cs, Qcow2Area::header, GuestMap::none, 0, 0,
                       "metadata (unreadable): the qcow2 header cluster"});
    walk_refcounts();
    l2_cover_ = cs * (cs / 8);
    walk_l1(h_.l1_table_offset, h_.l1_size, nullptr);
    walk_snapshots();
  }

  // Each range of BAD (given order) told by the owners it meets; NOT_MAPPED
  // non-empty: the image could not be walked, it says why.
  std::vector<Qcow2Hit> tell(const std::vector<Qcow2Range> &bad, const std::string &not_mapped) {
    std::vector<Qcow2Hit> out;
    out.reserve(bad.size());
    for (const auto &b : bad) {
      out.push_back(not_mapped.empty() ? tell_one(b) : unmapped(b, not_mapped));
    }
    return out;
  }

private:
  io::ByteSource &img_;
  std::vector<Qcow2Range> bad_; // sorted, merged
  std::uint64_t size_;
  Qcow2Header h_;
  bool header_lost_ = false;
  std::uint64_t l2_cover_ = 0; // guest bytes per L1 entry
  std::vector<Owner> owners_;
  std::set<std::uint64_t> l2_seen_;
  std::set<std::uint64_t> active_data_; // host starts of active data owners
  std::vector<std::uint64_t> reftable_;
  bool tables_lost_ = false; // an L1 or L2 table met a damaged range

  // LENGTH bytes at OFFSET, fewer where the file ends.
  std::vector<std::byte> read(std::uint64_t offset, std::uint64_t length) {
    std::vector<std::byte> buf(static_cast<std::size_t>(length));
    std::size_t done = 0;
    while (done < buf.size() && offset + done < size_) {
      const std::size_t n =
          img_.read_at(offset + done, std::span<std::byte>(buf).subspan(done, buf.size() - done));
      if (n == 0) {
        break;
      }
      done += n;
    }
    buf.resize(done);
    return buf;
  }

  // True when [START, END) meets a damaged range.
  [[nodiscard]] bool damaged(std::uint64_t start, std::uint64_t end) const {
    auto it = std::upper_bound(bad_.begin(), bad_.end(), start,
                               [](std::uint64_t v, const Qcow2Range &r) { return v < r.offset; });
    if (it != bad_.begin()) {
      const auto &prev = *std::prev(it);
      if (prev.offset + prev.length > start) {
        return true;
      }
    }
    return it != bad_.end() && it->offset < end;
  }

  // Tables take whole clusters: the rest of the last one is theirs too.
  [[nodiscard]] std::uint64_t round_up(std::uint64_t end) const {
    const std::uint64_t cs = h_.cluster_size;
    return end > std::numeric_limits<std::uint64_t>::max() - cs ? end : (end + cs - 1) / cs * cs;
  }

  [[nodiscard]] bool usable_cluster(std::uint64_t off) const {
    return off != 0 && off % h_.cluster_size == 0 && off < size_;
  }

  void walk_refcounts() {
    const std::uint64_t cs = h_.cluster_size;
    const std::uint64_t bytes = std::uint64_t{h_.refcount_table_clusters} * cs;
    if (bytes == 0 || bytes > kMaxRefTableBytes || h_.refcount_table_offset >= size_) {
      return;
    }
    const std::uint64_t start = h_.refcount_table_offset;
    owners_.push_back(
        {start, start + bytes, Qcow2Area::refcount, GuestMap::none, 0, 0,
         "metadata (unreadable): the refcount table; `qemu-img check -r all` rebuilds refcounts"});
    const std::vector<std::byte> t = read(start, bytes);
    for (std::size_t i = 0; i + 8 <= t.size(); i += 8) {
      const std::uint64_t off = be64(t, i) & ~std::uint64_t{0x1ff};
      reftable_.push_back(off);
      if (usable_cluster(off)) {
        owners_.push_back({off, off + cs, Qcow2Area::refcount, GuestMap::none, 0, 0,
                           "metadata (unreadable): a refcount block; `qemu-img check -r all` "
                           "rebuilds refcounts"});
      }
    }
  }

  // The refcount of cluster C; nullopt when it cannot be known (its block
  // lies in a damaged range, or the table does not reach it).
  std::optional<std::uint64_t> refcount(std::uint64_t c) {
    const std::uint64_t bits = std::uint64_t{1} << h_.refcount_order;
    const std::uint64_t per_block = h_.cluster_size * 8 / bits;
    const std::uint64_t idx = c / per_block;
    if (idx >= reftable_.size()) {
      return std::nullopt;
    }
    const std::uint64_t block = reftable_[static_cast<std::size_t>(idx)];
    if (block == 0) {
      return damaged(h_.refcount_table_offset + idx * 8, h_.refcount_table_offset + idx * 8 + 8)
                 ? std::nullopt
                 : std::optional<std::uint64_t>(0);
    }
    if (!usable_cluster(block) || damaged(block, block + h_.cluster_size)) {
      return std::nullopt;
    }
    const std::uint64_t bit = (c % per_block) * bits;
    const std::vector<std::byte> b = read(block + bit / 64 * 8, 8);
    if (b.size() < 8) {
      return std::nullopt;
    }
    const std::uint64_t word = be64(b, 0);
    if (bits == 64) {
      return word;
    }
    // Sub-byte refcounts fill each byte from its least significant bit.
    const std::uint64_t in_word = bit % 64;
    const std::uint64_t shift =
        bits >= 8 ? 64 - bits - in_word : 56 - (in_word / 8) * 8 + in_word % 8;
    return (word >> shift) & ((std::uint64_t{1} << bits) - 1);
  }

  // An L1 table of ENTRIES at OFFSET; SNAPSHOT names its snapshot (null:
  // the active one).
  void walk_l1(std::uint64_t offset, std::uint32_t entries, const std::string *snapshot) {
    const std::uint64_t bytes = std::uint64_t{entries} * 8;
    if (offset == 0 || bytes == 0 || bytes > kMaxL1Bytes || offset >= size_) {
      return;
    }
    const std::uint64_t end = round_up(offset + bytes);
    if (snapshot == nullptr) {
      owners_.push_back(
          {offset, end, Qcow2Area::l1, GuestMap::table, 0, l2_cover_, lost_mapping("L1 table")});
    } else {
      owners_.push_back(
          {offset, end, Qcow2Area::snapshot, GuestMap::none, 0, 0,
           fmt::format("metadata (unreadable): the L1 table of snapshot {}", quoted(*snapshot))});
    }
    tables_lost_ = tables_lost_ || damaged(offset, offset + bytes);
    const std::vector<std::byte> t = read(offset, bytes);
    for (std::size_t i = 0; i + 8 <= t.size(); i += 8) {
      const std::uint64_t l2 = be64(t, i) & kOffsetMask;
      if (usable_cluster(l2) && l2_seen_.insert(l2).second) {
        walk_l2(l2, (i / 8) * l2_cover_, snapshot);
      }
    }
  }

  void walk_l2(std::uint64_t offset, std::uint64_t guest, const std::string *snapshot) {
    const std::uint64_t cs = h_.cluster_size;
    if (snapshot == nullptr) {
      owners_.push_back({offset, offset + cs, Qcow2Area::l2, GuestMap::table, guest, cs,
                         lost_mapping("L2 table")});
    } else {
      owners_.push_back(
          {offset, offset + cs, Qcow2Area::snapshot, GuestMap::none, 0, 0,
           fmt::format("metadata (unreadable): an L2 table of snapshot {}", quoted(*snapshot))});
    }
    tables_lost_ = tables_lost_ || damaged(offset, offset + cs);
    const std::vector<std::byte> t = read(offset, cs);
    for (std::size_t j = 0; j + 8 <= t.size(); j += 8) {
      add_data(be64(t, j), guest + (j / 8) * cs, snapshot);
    }
  }

  // One L2 entry E mapping guest cluster GUEST; an owner only where it
  // meets a damaged range.
  void add_data(std::uint64_t e, std::uint64_t guest, const std::string *snapshot) {
    const std::uint64_t cs = h_.cluster_size;
    Owner o;
    o.guest = guest;
    if ((e & kCompressed) != 0) {
      const std::uint32_t x = 62 - (h_.cluster_bits - 8);
      const std::uint64_t host = e & ((std::uint64_t{1} << x) - 1);
      const std::uint64_t sectors =
          ((e >> x) & ((std::uint64_t{1} << (h_.cluster_bits - 8)) - 1)) + 1;
      o.start = host;
      o.end = (host & ~std::uint64_t{511}) + sectors * 512;
      o.map = GuestMap::whole;
      o.per = cs;
      o.note = "compressed cluster: its whole guest cluster is lost";
    } else {
      o.start = e & kOffsetMask;
      if (o.start == 0) {
        return; // unallocated, or all zeros without a cluster
      }
      o.end = o.start + cs;
      o.map = GuestMap::linear;
      if ((e & kZeroFlag) != 0 && h_.version >= 3) {
        o.note = "zero cluster: the guest reads zeros there, nothing lost";
      }
    }
    if (o.start >= size_ || o.end <= o.start || !damaged(o.start, o.end)) {
      return;
    }
    if (snapshot == nullptr) {
      o.area = Qcow2Area::data;
      active_data_.insert(o.start);
    } else {
      if (active_data_.contains(o.start)) {
        return; // shared with the active image: told as its data
      }
      o.area = Qcow2Area::snapshot;
      o.map = GuestMap::none;
      o.note = fmt::format("data of snapshot {} only (its guest offset 0x{:x})", quoted(*snapshot),
                           guest);
    }
    owners_.push_back(std::move(o));
  }

  void walk_snapshots() {
    if (h_.nb_snapshots == 0 || h_.nb_snapshots > kMaxSnapshots || h_.snapshots_offset == 0 ||
        h_.snapshots_offset >= size_) {
      return;
    }
    struct Snap {
      std::string name;
      std::uint64_t l1 = 0;
      std::uint32_t l1_size = 0;
    };
    std::vector<Snap> snaps;
    std::uint64_t off = h_.snapshots_offset;
    for (std::uint32_t n = 0; n < h_.nb_snapshots && off < size_; ++n) {
      const std::vector<std::byte> fixed = read(off, kSnapshotFixed);
      if (fixed.size() < kSnapshotFixed) {
        break;
      }
      Snap s;
      s.l1 = be64(fixed, 0);
      s.l1_size = be32(fixed, 8);
      const std::uint64_t id_size = be16(fixed, 12);
      const std::uint64_t name_size = be16(fixed, 14);
      const std::uint64_t extra = be32(fixed, 36);
      const std::uint64_t name_at = off + kSnapshotFixed + extra + id_size;
      s.name = extra > (std::uint64_t{1} << 16U) ? "?" : c_string(read(name_at, name_size));
      off = (name_at + name_size + 7) & ~std::uint64_t{7};
      snaps.push_back(std::move(s));
    }
    owners_.push_back({h_.snapshots_offset, round_up(off), Qcow2Area::snapshot, GuestMap::none, 0,
                       0, "metadata (unreadable): the snapshot table"});
    for (const auto &s : snaps) {
      walk_l1(s.l1, s.l1_size, &s.name);
    }
  }

  // A range of an image that could not be walked (WHY says why).
  [[nodiscard]] Qcow2Hit unmapped(const Qcow2Range &b, const std::string &why) const {
    Qcow2Hit hit;
    if (header_lost_) {
      const bool in_header = b.offset < kFixedHeader;
      hit.area = in_header ? Qcow2Area::header : Qcow2Area::unknown;
      hit.detail = in_header ? why : "not mapped: the qcow2 header is damaged";
    } else if (b.offset < h_.cluster_size) {
      hit.area = Qcow2Area::header;
      hit.detail = "the qcow2 header cluster; " + why;
    } else {
      hit.area = Qcow2Area::unknown;
      hit.detail = why;
    }
    hit.areas = {hit.area};
    return hit;
  }

  void guest_of(const Owner &o, std::uint64_t s, std::uint64_t e,
                std::vector<Qcow2Range> &out) const {
    switch (o.map) {
    case GuestMap::none: return;
    case GuestMap::linear: out.push_back({o.guest + (s - o.start), e - s}); return;
    case GuestMap::whole: out.push_back({o.guest, o.per}); return;
    case GuestMap::table: {
      const std::uint64_t first = (s - o.start) / 8;
      const std::uint64_t last = (e - 1 - o.start) / 8;
      const std::uint64_t from = o.guest + first * o.per;
      const std::uint64_t to = std::min(o.guest + (last + 1) * o.per, h_.virtual_size);
      if (from < to) {
        out.push_back({from, to - from});
      }
      return;
    }
    }
  }

  // The area of the damaged bytes [S, E) no owner has.
  Qcow2Area loose(std::uint64_t s, std::uint64_t e, std::vector<std::string> &notes) {
    bool in_use = false;
    bool unsure = false;
    for (std::uint64_t c = s / h_.cluster_size; c * h_.cluster_size < e; ++c) {
      const auto rc = refcount(c);
      in_use = in_use || (rc && *rc > 0);
      unsure = unsure || !rc;
    }
    if (in_use) {
      notes.emplace_back("a cluster in use (refcount above 0) that no table maps (a persistent "
                         "bitmap, or data whose L2 entry is unreadable)");
      return Qcow2Area::unknown;
    }
    if (unsure) {
      notes.emplace_back(tables_lost_ ? "metadata (unreadable): its refcount and owner are lost"
                                      : "no table maps it and its refcount is unreadable");
      return Qcow2Area::unknown;
    }
    return Qcow2Area::unallocated;
  }

  Qcow2Hit tell_one(const Qcow2Range &b) {
    Qcow2Hit hit;
    const std::uint64_t end = b.offset + b.length;
    std::vector<Qcow2Range> covered;
    std::vector<std::string> notes;
    std::set<Qcow2Area> areas;
    for (const auto &o : owners_) {
      const std::uint64_t s = std::max(o.start, b.offset);
      const std::uint64_t e = std::min(o.end, end);
      if (s >= e) {
        continue;
      }
      areas.insert(o.area);
      covered.push_back({s, e - s});
      guest_of(o, s, e, hit.guest_ranges);
      if (!o.note.empty()) {
        notes.push_back(o.note);
      }
    }
    std::uint64_t at = b.offset;
    for (const auto &c : merged(covered)) {
      if (c.offset > at) {
        areas.insert(loose(at, c.offset, notes));
      }
      at = std::max(at, c.offset + c.length);
    }
    if (at < end) {
      areas.insert(loose(at, end, notes));
    }
    hit.areas.assign(areas.begin(), areas.end());
    hit.area = hit.areas.empty() ? Qcow2Area::unknown : hit.areas.front();
    hit.guest_ranges = merged(hit.guest_ranges);
    std::vector<std::string> unique;
    for (auto &n : notes) {
      if (std::find(unique.begin(), unique.end(), n) == unique.end()) {
        unique.push_back(std::move(n));
      }
    }
    hit.detail = fmt::format("{}", fmt::join(unique, "; "));
    return hit;
  }
};

} // namespace

const char *to_string(Qcow2Area a) noexcept {
  switch (a) {
  case Qcow2Area::header: return "header";
  case Qcow2Area::l1: return "l1";
  case Qcow2Area::l2: return "l2";
  case Qcow2Area::refcount: return "refcount";
  case Qcow2Area::snapshot: return "snapshot";
  case Qcow2Area::data: return "data";
  case Qcow2Area::unknown: return "unknown";
  case Qcow2Area::unallocated: return "unallocated";
  }
  return "unknown";
}

std::vector<Qcow2Hit> map_qcow2_damage(io::ByteSource &image, const std::vector<Qcow2Range> &bad) {
  Mapper m(image, bad);
  const std::string not_mapped = m.open();
  if (not_mapped.empty()) {
    m.walk();
  }
  return m.tell(bad, not_mapped);
}

} // namespace kvmr::scan
