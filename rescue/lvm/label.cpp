// PV label, PV header and metadata area reading (see label.hpp).
#include "rescue/lvm/label.hpp"

#include "rescue/lvm/crc.hpp"
#include "rescue/util/bytes.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <span>

namespace kvmr::lvm {
namespace {

constexpr std::size_t kSector = 512;
constexpr unsigned kLabelScanSectors = 4;
constexpr std::string_view kLabelId = "LABELONE";
constexpr std::string_view kLabelType = "LVM2 001";
constexpr std::size_t kLabelHeaderSize = 32; // id, sector, crc, offset, type
constexpr std::size_t kLabelCrcFrom = 20;    // the CRC covers the rest of the sector
constexpr std::size_t kUuidLen = 32;
constexpr std::string_view kMdaMagic = " LVM2 x[5A%r0N*>";
constexpr std::size_t kMdaHeaderSize = 512;
constexpr std::size_t kRawLocnAt = 40;
constexpr std::uint32_t kRawLocnIgnored = 1;
constexpr std::uint64_t kMaxSalvageArea = std::uint64_t{64} << 20U;

std::span<const std::byte> as_bytes(const std::string &s) {
  return {reinterpret_cast<const std::byte *>(s.data()), s.size()};
}

bool valid_uuid_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '!' || c == '#';
}

std::vector<DiskArea> read_area_list(Bytes sector, std::size_t &pos, const std::string &where) {
  std::vector<DiskArea> out;
  for (;;) {
    if (pos + 16 > sector.size()) {
      throw InputError(where + ": PV header area list runs past the end of the label sector");
    }
    const DiskArea a{le64(sector, pos), le64(sector, pos + 8)};
    pos += 16;
    if (a.offset == 0) {
      return out;
    }
    out.push_back(a);
  }
}

// Reads SIZE bytes at OFF within the PV, refusing to read past its end.
std::vector<std::byte> read_pv_bytes(int fd, const PvLabel &pv, std::uint64_t off,
                                     std::uint64_t size) {
  if (off > pv.available || size > pv.available - off) {
    throw InputError(fmt::format("{}: bytes {}..{} of the PV at {} lie past its end ({} bytes)",
                                 pv.path, off, off + size, pv.pv_offset, pv.available));
  }
  auto b = read_bytes(fd, pv.path, pv.pv_offset + off, static_cast<std::size_t>(size));
  if (b.size() != size) {
    throw InputError(fmt::format("{}: short read at byte {} ({} of {} bytes): truncated?", pv.path,
                                 pv.pv_offset + off, b.size(), size));
  }
  return b;
}

// The mda header of AREA; fills ring_size and the raw_locn fields, or
// sets a bad state. Returns false when the area cannot be used.
bool read_mda_header(int fd, const PvLabel &pv, std::size_t index, MetadataArea &mda) {
  const std::uint64_t at = pv.pv_offset + mda.location.offset;
  const auto where = fmt::format("{}: metadata area {} at byte {}", pv.path, index, at);
  std::vector<std::byte> h;
  try {
    h = read_pv_bytes(fd, pv, mda.location.offset, kMdaHeaderSize);
  } catch (const std::runtime_error &e) { // InputError or SysError
    mda.state = MdaState::unreadable;
    mda.detail = fmt::format("{}: header unreadable: {}", where, e.what());
    return false;
  }
  auto bad = [&](const std::string &why) {
    mda.state = MdaState::bad_header;
    mda.detail = where + ": " + why;
    return false;
  };
  const std::uint32_t stored = le32(h, 0);
  const std::uint32_t computed = lvm_crc(Bytes(h).subspan(4));
  if (!has_at(h, 4, kMdaMagic)) {
    return bad("no metadata area magic");
  }
  if (stored != computed) {
    return bad(
        fmt::format("header checksum mismatch: stored {:08x}, computed {:08x}", stored, computed));
  }
  if (le32(h, 20) != 1) {
    return bad(fmt::format("unknown header version {}", le32(h, 20)));
  }
  if (le64(h, 24) != mda.location.offset) {
    return bad(fmt::format("header says it starts at byte {}, the PV header says {}", le64(h, 24),
                           mda.location.offset));
  }
  mda.ring_size = le64(h, 32);
  if (mda.ring_size <= kMdaHeaderSize || mda.ring_size > mda.location.size) {
    return bad(fmt::format("header size {} does not fit the area of {} bytes", mda.ring_size,
                           mda.location.size));
  }
  mda.text_offset = le64(h, kRawLocnAt);
  mda.text_size = le64(h, kRawLocnAt + 8);
  mda.text_checksum = le32(h, kRawLocnAt + 16);
  const std::uint32_t flags = le32(h, kRawLocnAt + 20);
  if (mda.text_offset == 0 && mda.text_size == 0) {
    mda.state = MdaState::empty;
    return false;
  }
  if ((flags & kRawLocnIgnored) != 0) {
    mda.state = MdaState::ignored;
    mda.detail = where + ": flagged ignored";
    return false;
  }
  if (mda.text_offset < kMdaHeaderSize || mda.text_offset >= mda.ring_size || mda.text_size == 0 ||
      mda.text_size > mda.ring_size - kMdaHeaderSize) {
    return bad(fmt::format("metadata location {} (+{} bytes) lies outside the area of {} bytes",
                           mda.text_offset, mda.text_size, mda.ring_size));
  }
  return true;
}

// LEN bytes of the ring of MDA starting at OFF (from the area start),
// wrapping from the end of the ring to byte 512.
std::string read_ring(const std::vector<std::byte> &ring, std::uint64_t ring_size,
                      std::uint64_t off, std::uint64_t len) {
  std::string s;
  s.reserve(static_cast<std::size_t>(len));
  const std::uint64_t first = std::min(len, ring_size - off);
  const auto *base = reinterpret_cast<const char *>(ring.data());
  s.append(base + (off - kMdaHeaderSize), static_cast<std::size_t>(first));
  s.append(base, static_cast<std::size_t>(len - first));
  return s;
}

void read_mda_text(int fd, const PvLabel &pv, std::size_t index, MetadataArea &mda,
                   const ConfigLimits &limits) {
  const std::uint64_t text_at = pv.pv_offset + mda.location.offset + mda.text_offset;
  const auto where =
      fmt::format("{}: metadata text at byte {} ({} bytes)", pv.path, text_at, mda.text_size);
  if (mda.text_size > limits.max_bytes + 1) {
    mda.state = MdaState::bad_text;
    mda.detail = where + ": larger than the limit of " + std::to_string(limits.max_bytes);
    return;
  }
  const std::uint64_t first = std::min(mda.text_size, mda.ring_size - mda.text_offset);
  mda.wrapped = first < mda.text_size;
  std::string text;
  try {
    const auto a = read_pv_bytes(fd, pv, mda.location.offset + mda.text_offset, first);
    const auto b =
        read_pv_bytes(fd, pv, mda.location.offset + kMdaHeaderSize, mda.text_size - first);
    text.assign(reinterpret_cast<const char *>(a.data()), a.size());
    text.append(reinterpret_cast<const char *>(b.data()), b.size());
  } catch (const std::runtime_error &e) {
    mda.state = MdaState::unreadable;
    mda.detail = fmt::format("{}: {}", where, e.what());
    return;
  }
  const std::uint32_t computed = lvm_crc(as_bytes(text));
  if (computed != mda.text_checksum) {
    mda.state = MdaState::bad_checksum;
    mda.detail = fmt::format("{}: checksum mismatch: stored {:08x}, computed {:08x}", where,
                             mda.text_checksum, computed);
    return;
  }
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    text.resize(nul);
  }
  try {
    VolumeGroup vg =
        parse_volume_group(text, fmt::format("{} metadata area {}", pv.path, index), limits);
    mda.copy = MetadataCopy{std::move(text), std::move(vg), mda.location.offset + mda.text_offset,
                            index, true};
    mda.state = MdaState::ok;
  } catch (const InputError &e) {
    mda.state = MdaState::bad_text;
    mda.detail =
        fmt::format("{}: checksum matches but the text is not usable: {}", where, e.what());
  }
}

void read_pv_header(Bytes sector, PvLabel &pv, const std::string &where) {
  const std::size_t at = le32(sector, 20);
  if (at < kLabelHeaderSize || at + kUuidLen + 8 > sector.size()) {
    throw InputError(fmt::format("{}: PV header offset {} is outside the label sector", where, at));
  }
  const std::string raw(reinterpret_cast<const char *>(sector.data()) + at, kUuidLen);
  if (!std::all_of(raw.begin(), raw.end(), valid_uuid_char)) {
    throw InputError(where + ": PV UUID holds characters LVM never writes");
  }
  pv.uuid = format_lvm_uuid(raw);
  pv.device_size = le64(sector, at + kUuidLen);
  std::size_t pos = at + kUuidLen + 8;
  pv.data_areas = read_area_list(sector, pos, where);
  auto mdas = read_area_list(sector, pos, where);
  for (const auto &a : mdas) {
    MetadataArea m;
    m.location = a;
    pv.metadata_areas.push_back(std::move(m));
  }
  if (pos + 8 <= sector.size()) {
    pv.ext_version = le32(sector, pos);
    pv.ext_flags = le32(sector, pos + 4);
  }
}

} // namespace

bool is_lvm_label_sector(std::span<const std::byte> sector, unsigned sector_number) {
  return sector.size() == kSector && has_at(sector, 0, kLabelId) &&
         le64(sector, 8) == sector_number && has_at(sector, 24, kLabelType) &&
         le32(sector, 16) == lvm_crc(sector.subspan(kLabelCrcFrom));
}

PvLabel read_pv_label(int fd, const std::string &path, std::uint64_t offset, std::uint64_t size,
                      const ConfigLimits &limits) {
  PvLabel pv;
  pv.path = path;
  pv.pv_offset = offset;
  pv.available = size;
  const auto where_pv = fmt::format("{}: PV at byte {}", path, offset);
  const auto head = read_bytes(fd, path, offset,
                               static_cast<std::size_t>(std::min<std::uint64_t>(
                                   size, std::uint64_t{kLabelScanSectors} * kSector)));
  std::vector<std::string> seen;
  std::optional<unsigned> found;
  for (unsigned i = 0; i < kLabelScanSectors && !found; ++i) {
    const std::size_t from = std::size_t{i} * kSector;
    if (from >= head.size()) {
      break;
    }
    const Bytes sector = Bytes(head).subspan(from, std::min(kSector, head.size() - from));
    if (!has_at(sector, 0, kLabelId)) {
      continue;
    }
    const auto at = offset + from;
    if (sector.size() < kSector) {
      seen.push_back(
          fmt::format("label at byte {} is truncated ({} of 512 bytes)", at, sector.size()));
    } else if (le64(sector, 8) != i) {
      seen.push_back(
          fmt::format("label at byte {} claims to be in sector {}", at, le64(sector, 8)));
    } else if (le32(sector, 16) != lvm_crc(sector.subspan(kLabelCrcFrom))) {
      seen.push_back(fmt::format("label at byte {}: CRC mismatch: stored {:08x}, computed {:08x}",
                                 at, le32(sector, 16), lvm_crc(sector.subspan(kLabelCrcFrom))));
    } else if (!has_at(sector, 24, kLabelType)) {
      seen.push_back(fmt::format("label at byte {} is not of type \"LVM2 001\"", at));
    } else {
      found = i;
      pv.label_sector = i;
      read_pv_header(sector, pv, fmt::format("{}: label at byte {}", path, at));
    }
  }
  if (!found) {
    std::string why = seen.empty() ? "no LABELONE in its first four sectors" : seen.front();
    for (std::size_t i = 1; i < seen.size(); ++i) {
      why += "; " + seen[i];
    }
    throw InputError(fmt::format("{}: not a readable LVM2 physical volume: {}", where_pv, why));
  }
  if (pv.device_size > size) {
    pv.problems.push_back(fmt::format("{}: the PV header records {} bytes but only {} can be read",
                                      where_pv, pv.device_size, size));
  }
  for (std::size_t i = 0; i < pv.metadata_areas.size(); ++i) {
    auto &mda = pv.metadata_areas[i];
    if (read_mda_header(fd, pv, i, mda)) {
      read_mda_text(fd, pv, i, mda, limits);
    }
    if (mda.state != MdaState::ok && mda.state != MdaState::empty &&
        mda.state != MdaState::ignored) {
      pv.problems.push_back(mda.detail);
    }
    if (!mda.copy) {
      continue;
    }
    if (!pv.metadata || mda.copy->vg.seqno > pv.metadata->vg.seqno) {
      pv.metadata = mda.copy;
    } else if (mda.copy->vg.seqno == pv.metadata->vg.seqno && mda.copy->text != pv.metadata->text) {
      pv.problems.push_back(fmt::format("{}: metadata areas {} and {} differ at seqno {}", where_pv,
                                        pv.metadata->area, i, mda.copy->vg.seqno));
    }
  }
  for (const auto &mda : pv.metadata_areas) {
    if (mda.copy && mda.copy->vg.seqno < pv.metadata->vg.seqno) {
      pv.problems.push_back(fmt::format("{}: metadata area {} holds older seqno {} (newest {})",
                                        where_pv, mda.copy->area, mda.copy->vg.seqno,
                                        pv.metadata->vg.seqno));
    }
  }
  return pv;
}

std::vector<MetadataCopy> find_older_copies(int fd, const PvLabel &pv, const ConfigLimits &limits) {
  std::vector<MetadataCopy> out;
  std::set<std::uint64_t> seqnos;
  if (pv.metadata) {
    seqnos.insert(pv.metadata->vg.seqno);
  }
  for (std::size_t i = 0; i < pv.metadata_areas.size(); ++i) {
    const auto &mda = pv.metadata_areas[i];
    if (mda.ring_size <= kMdaHeaderSize || mda.ring_size > kMaxSalvageArea ||
        mda.state == MdaState::unreadable || mda.state == MdaState::bad_header) {
      continue;
    }
    std::vector<std::byte> ring;
    try {
      ring = read_pv_bytes(fd, pv, mda.location.offset + kMdaHeaderSize,
                           mda.ring_size - kMdaHeaderSize);
    } catch (const std::runtime_error &) {
      continue;
    }
    // Where each NUL is, so finding a copy's end is a lookup, not a scan.
    std::vector<std::uint64_t> nuls;
    for (std::size_t k = 0; k < ring.size(); ++k) {
      if (ring[k] == std::byte{0}) {
        nuls.push_back(k + kMdaHeaderSize);
      }
    }
    if (nuls.empty()) {
      continue;
    }
    std::uint64_t skip_to = 0; // inside a copy already taken
    for (std::uint64_t off = kMdaHeaderSize; off < mda.ring_size; off += kSector) {
      if (off < skip_to) {
        continue;
      }
      // A copy starts with the VG name and " {".
      const auto *p = reinterpret_cast<const char *>(ring.data()) + (off - kMdaHeaderSize);
      const auto room = static_cast<std::size_t>(mda.ring_size - off);
      std::size_t n = 0;
      while (n < room && n < 128 &&
             (std::isalnum(static_cast<unsigned char>(p[n])) != 0 || p[n] == '_' || p[n] == '.' ||
              p[n] == '-' || p[n] == '+')) {
        ++n;
      }
      if (n == 0 || n + 2 > room || p[n] != ' ' || p[n + 1] != '{') {
        continue;
      }
      const auto next = std::lower_bound(nuls.begin(), nuls.end(), off);
      const std::uint64_t len = next != nuls.end()
                                    ? *next - off
                                    : (mda.ring_size - off) + (nuls.front() - kMdaHeaderSize);
      if (len > limits.max_bytes) {
        continue;
      }
      std::string text = read_ring(ring, mda.ring_size, off, len);
      try {
        VolumeGroup vg = parse_volume_group(text, {}, limits);
        if (next != nuls.end()) {
          skip_to = *next;
        }
        if (seqnos.insert(vg.seqno).second) {
          out.push_back(
              MetadataCopy{std::move(text), std::move(vg), mda.location.offset + off, i, false});
        }
      } catch (const InputError &) {
        // overwritten in part by a newer copy, or not metadata at all
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const MetadataCopy &a, const MetadataCopy &b) { return a.vg.seqno > b.vg.seqno; });
  return out;
}

} // namespace kvmr::lvm
