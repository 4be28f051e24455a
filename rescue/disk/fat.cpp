// Read-only FAT12/16/32 reader (see fat.hpp): boot sector validation, FAT
// lookups through a small window cache, bounded cluster chains, directory
// parsing with long file names, and path lookup.
#include "rescue/disk/fat.hpp"

#include "rescue/util/bytes.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

namespace kvmr::disk::fat {
namespace {

constexpr std::size_t kDirent = 32;
constexpr std::uint8_t kAttrVolume = 0x08;
constexpr std::uint8_t kAttrDir = 0x10;
constexpr std::uint8_t kAttrLfnMask = 0x3F;
constexpr std::uint8_t kAttrLfn = 0x0F;
constexpr std::uint8_t kLfnLast = 0x40;
constexpr std::uint8_t kNtLowerBase = 0x08;
constexpr std::uint8_t kNtLowerExt = 0x10;
constexpr std::size_t kLfnChars = 13;
constexpr std::size_t kLfnMaxEntries = 20; // 255 UTF-16 units
// Where the 13 UTF-16 units of a long-name entry sit in its 32 bytes.
constexpr std::size_t kLfnOffsets[kLfnChars] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
constexpr std::uint64_t kMaxDirBytes = 65536ULL * kDirent; // the spec's limit of 65536 entries
constexpr std::uint64_t kFatWindow = 64ULL * 1024;
constexpr const char *kReplacement = "\xEF\xBF\xBD"; // U+FFFD

std::string rtrim(std::string s) {
  s.erase(s.find_last_not_of(' ') + 1); // npos + 1 == 0: all blanks
  return s;
}

bool pow2(std::uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

std::uint8_t u8(Bytes b, std::size_t off) {
  if (off >= b.size()) {
    throw InputError("structure read past its buffer (offset " + std::to_string(off) + ")");
  }
  return std::to_integer<std::uint8_t>(b[off]);
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

void append_utf8(std::string &out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
    return;
  }
  constexpr std::uint32_t kLead[] = {0, 0xC0, 0xE0, 0xF0};
  const unsigned tail = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3; // continuation bytes
  out += static_cast<char>(kLead[tail] | (cp >> (6U * tail)));
  for (unsigned k = tail; k-- > 0;) {
    out += static_cast<char>(0x80U | ((cp >> (6U * k)) & 0x3FU));
  }
}

// UTF-16LE units up to the first NUL, as UTF-8; a lone surrogate is U+FFFD.
std::string utf16_to_utf8(const std::vector<std::uint16_t> &units) {
  std::string out;
  for (std::size_t i = 0; i < units.size() && units[i] != 0; ++i) {
    std::uint32_t c = units[i];
    const bool high = c >= 0xD800 && c <= 0xDBFF;
    if (high && i + 1 < units.size() && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10U) + (units[i + 1] - 0xDC00U);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    append_utf8(out, c);
  }
  return out;
}

// The 8.3 name of directory entry E, lower-cased where the NT case flags
// (byte 12) say so. Bytes of the OEM code page (>= 0x80) become U+FFFD.
std::string short_name(Bytes e) {
  const std::uint8_t nt = u8(e, 12);
  const auto part = [e](std::size_t from, std::size_t len, bool lower) {
    std::string s;
    for (std::size_t i = from; i < from + len; ++i) {
      const std::uint8_t c = u8(e, i);
      if (c >= 0x80 || (i == 0 && c == 0x05)) { // 0x05 stands for a leading 0xE5
        s += kReplacement;
      } else {
        const char ch = static_cast<char>(c);
        s += lower ? ascii_lower(ch) : ch;
      }
    }
    return rtrim(s);
  };
  const std::string base = part(0, 8, (nt & kNtLowerBase) != 0);
  const std::string ext = part(8, 3, (nt & kNtLowerExt) != 0);
  return ext.empty() ? base : base + "." + ext;
}

// The checksum of the 11-byte short name that long-name entries carry.
std::uint8_t lfn_checksum(Bytes e) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < 11; ++i) {
    sum = ((((sum & 1U) << 7U) | (sum >> 1U)) + u8(e, i)) & 0xFFU;
  }
  return static_cast<std::uint8_t>(sum);
}

std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> parts;
  while (!p.empty()) {
    const auto slash = p.find('/');
    if (slash != 0) {
      parts.push_back(p.substr(0, slash));
    }
    if (slash == std::string_view::npos) {
      break;
    }
    p.remove_prefix(slash + 1);
  }
  return parts;
}

} // namespace

const char *to_string(FatType t) noexcept {
  switch (t) {
  case FatType::fat12: return "FAT12";
  case FatType::fat16: return "FAT16";
  case FatType::fat32: return "FAT32";
  }
  return "FAT";
}

FatVolume::FatVolume(int fd, std::string path, std::uint64_t offset, std::uint64_t size)
    : fd_(fd), path_(std::move(path)), offset_(offset), size_(size) {
  const auto check = [this](bool ok, const std::string &why) {
    if (!ok) {
      throw InputError(
          fmt::format("{}: no usable FAT boot sector at byte offset {}: {}", path_, offset_, why));
    }
  };
  check(size_ >= 512, fmt::format("the partition is only {} bytes", size_));
  std::vector<std::byte> bs(512);
  check(read_at(fd_, path_, bs, offset_) == bs.size(), "the image ends inside the boot sector");
  check(!all_zero(bs), "the boot sector is all zero");
  check(u8(bs, 0) == 0xEB || u8(bs, 0) == 0xE9,
        fmt::format("no jump instruction (first byte {:#04x})", u8(bs, 0)));
  const std::uint32_t bps = le16(bs, 11);
  check(bps >= 512 && bps <= 4096 && pow2(bps),
        fmt::format("bytes per sector {} is not 512, 1024, 2048 or 4096", bps));
  const std::uint32_t spc = u8(bs, 13);
  check(pow2(spc), fmt::format("sectors per cluster {} is not a power of two", spc));
  const std::uint64_t reserved = le16(bs, 14);
  check(reserved != 0, "no reserved sectors (the boot sector itself is one)");
  const std::uint64_t nfats = u8(bs, 16);
  check(nfats == 1 || nfats == 2, fmt::format("{} FATs (expected 1 or 2)", nfats));
  const auto media = u8(bs, 21);
  check(media == 0xF0 || media >= 0xF8, fmt::format("media byte {:#04x} is not valid", media));
  root_entries_ = le16(bs, 17);
  const std::uint64_t total = le16(bs, 19) != 0 ? le16(bs, 19) : le32(bs, 32);
  const std::uint16_t fat_size16 = le16(bs, 22);
  const std::uint64_t fat_sectors = fat_size16 != 0 ? fat_size16 : le32(bs, 36);
  check(fat_sectors != 0, "the FAT size is zero");
  const std::uint64_t root_sectors = (root_entries_ * kDirent + bps - 1) / bps;
  const std::uint64_t meta = reserved + nfats * fat_sectors + root_sectors;
  check(total > meta, fmt::format("{} sectors leave no room for data after {} sectors of boot "
                                  "area, FATs and root directory",
                                  total, meta));
  const std::uint64_t clusters = (total - meta) / spc;
  geo_.type = clusters < 4085 ? FatType::fat12 : clusters < 65525 ? FatType::fat16 : FatType::fat32;
  std::uint64_t fat_needed = (clusters + 2) * 4;
  std::uint64_t active = 0;
  if (geo_.type == FatType::fat32) {
    check(fat_size16 == 0 && root_entries_ == 0,
          fmt::format("{} clusters make it FAT32, but the boot sector has the FAT12/16 layout "
                      "(FAT size {}, {} root entries)",
                      clusters, fat_size16, root_entries_));
    check(clusters <= 0x0FFFFFF5, fmt::format("{} clusters are too many for FAT32", clusters));
    check(le16(bs, 42) == 0, fmt::format("unknown FAT32 version {:#06x}", le16(bs, 42)));
    if (const auto flags = le16(bs, 40); (flags & 0x80U) != 0) { // mirroring off: one active FAT
      active = flags & 0x0FU;
    }
    check(active < nfats, fmt::format("active FAT {} of {}", active, nfats));
    root_cluster_ = le32(bs, 44);
    check(root_cluster_ >= 2 && root_cluster_ <= clusters + 1,
          fmt::format("root directory cluster {} is outside 2..{}", root_cluster_, clusters + 1));
  } else {
    check(fat_size16 != 0, fmt::format("{} clusters make it {}, but the boot sector has the "
                                       "FAT32 layout",
                                       clusters, to_string(geo_.type)));
    check(root_entries_ != 0, "no root directory entries");
    fat_needed = geo_.type == FatType::fat12 ? ((clusters + 2) * 3 + 1) / 2 : (clusters + 2) * 2;
  }
  fat_bytes_ = fat_sectors * bps;
  check(fat_bytes_ >= fat_needed,
        fmt::format("a FAT of {} bytes is too small for {} clusters", fat_bytes_, clusters));
  geo_.fs_bytes = total * bps;
  check(geo_.fs_bytes <= size_, fmt::format("the filesystem claims {} bytes but the partition "
                                            "holds {}",
                                            geo_.fs_bytes, size_));
  geo_.bytes_per_sector = bps;
  geo_.cluster_bytes = bps * spc;
  geo_.cluster_count = static_cast<std::uint32_t>(clusters);
  geo_.fat_offset = (reserved + active * fat_sectors) * bps;
  root_offset_ = (reserved + nfats * fat_sectors) * bps;
  geo_.data_offset = root_offset_ + root_sectors * bps;
  const std::size_t ext = geo_.type == FatType::fat32 ? 64 : 36; // extended boot record
  if (u8(bs, ext + 2) == 0x29) {
    geo_.serial = le32(bs, ext + 3);
    for (std::size_t i = ext + 7; i < ext + 18; ++i) {
      const auto c = u8(bs, i);
      geo_.label += c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?';
    }
    geo_.label = rtrim(geo_.label);
  }
}

void FatVolume::fail(const std::string &what, const std::string &problem) const {
  throw InputError(
      fmt::format("{}: FAT volume at byte offset {}: {}: {}", path_, offset_, what, problem));
}

void FatVolume::read_exact(std::uint64_t at, std::span<std::byte> buf,
                           const std::string &what) const {
  if (at > size_ || size_ - at < buf.size()) {
    fail(what, fmt::format("{} bytes at volume offset {} lie outside the {} byte partition",
                           buf.size(), at, size_));
  }
  if (read_at(fd_, path_, buf, offset_ + at) != buf.size()) {
    fail(what, fmt::format("the image ends before byte {} of the volume", at + buf.size()));
  }
}

std::uint32_t FatVolume::fat_entry(std::uint32_t cluster) const {
  const std::uint64_t at = geo_.type == FatType::fat12   ? cluster + cluster / 2U
                           : geo_.type == FatType::fat16 ? cluster * 2ULL
                                                         : cluster * 4ULL;
  const std::size_t len = geo_.type == FatType::fat32 ? 4 : 2;
  if (at < fat_cache_start_ || at + len > fat_cache_start_ + fat_cache_.size()) {
    std::uint64_t start = at - at % kFatWindow;
    if (at + len > start + kFatWindow) {
      start = at; // a FAT12 entry across the window edge
    }
    std::vector<std::byte> window(std::min(kFatWindow, fat_bytes_ - start));
    read_exact(geo_.fat_offset + start, window, "the FAT");
    fat_cache_ = std::move(window);
    fat_cache_start_ = start;
  }
  const Bytes b(fat_cache_);
  const std::size_t i = at - fat_cache_start_;
  switch (geo_.type) {
  case FatType::fat12: {
    const std::uint32_t v = le16(b, i);
    return (cluster & 1U) != 0 ? v >> 4U : v & 0x0FFFU;
  }
  case FatType::fat16: return le16(b, i);
  case FatType::fat32: return le32(b, i) & 0x0FFFFFFFU;
  }
  return 0;
}

std::vector<std::uint32_t> FatVolume::chain(std::uint32_t first, std::size_t limit,
                                            bool stop_at_limit, const std::string &what) const {
  const std::uint32_t eoc = geo_.type == FatType::fat12   ? 0xFF8
                            : geo_.type == FatType::fat16 ? 0xFFF8
                                                          : 0x0FFFFFF8;
  const std::uint32_t last = geo_.cluster_count + 1;
  std::vector<std::uint32_t> out;
  std::unordered_set<std::uint32_t> seen;
  std::uint32_t c = first;
  const auto from = [&out] {
    return out.empty() ? std::string() : fmt::format(" (after cluster {})", out.back());
  };
  while (true) {
    if (c < 2 || c > last) {
      fail(what,
           fmt::format("cluster {}{} is outside the volume's clusters 2..{}", c, from(), last));
    }
    if (!seen.insert(c).second) {
      fail(what, fmt::format("the cluster chain loops back to cluster {}{}", c, from()));
    }
    out.push_back(c);
    if (stop_at_limit && out.size() == limit) {
      return out;
    }
    const std::uint32_t next = fat_entry(c);
    if (next >= eoc) {
      return out;
    }
    if (next == eoc - 1) {
      fail(what, fmt::format("the cluster chain runs into a cluster marked bad after {}", c));
    }
    if (next == 0) {
      fail(what, fmt::format("the cluster chain runs into a free cluster after {}", c));
    }
    if (out.size() == limit) {
      fail(what, fmt::format("the cluster chain is longer than {} clusters", limit));
    }
    c = next;
  }
}

std::vector<std::byte> FatVolume::read_clusters(const std::vector<std::uint32_t> &clusters,
                                                const std::string &what) const {
  const std::size_t cb = geo_.cluster_bytes;
  std::vector<std::byte> out(clusters.size() * cb);
  for (std::size_t i = 0; i < clusters.size();) {
    std::size_t j = i + 1;
    while (j < clusters.size() && clusters[j] == clusters[j - 1] + 1) {
      ++j; // one read per contiguous run
    }
    read_exact(geo_.data_offset + (clusters[i] - 2ULL) * cb,
               std::span(out).subspan(i * cb, (j - i) * cb), what);
    i = j;
  }
  return out;
}

std::vector<Entry> FatVolume::parse_dir(std::span<const std::byte> raw) const {
  std::vector<Entry> out;
  std::vector<std::uint16_t> lfn;
  std::size_t lfn_seq = 0; // sequence number of the last long-name entry taken; 0: none
  std::uint8_t lfn_sum = 0;
  for (std::size_t off = 0; off + kDirent <= raw.size(); off += kDirent) {
    const Bytes e = raw.subspan(off, kDirent);
    const std::uint8_t first = u8(e, 0);
    const std::uint8_t attr = u8(e, 11);
    if (first == 0x00) {
      break; // end of directory
    }
    if (first == 0xE5) {
      lfn_seq = 0; // deleted
      continue;
    }
    if ((attr & kAttrLfnMask) == kAttrLfn) {
      const std::size_t seq = first & 0x1FU;
      if ((first & kLfnLast) != 0 && seq >= 1 && seq <= kLfnMaxEntries) {
        lfn.assign(seq * kLfnChars, 0xFFFF);
        lfn_sum = u8(e, 13);
      } else if (lfn_seq == 0 || seq + 1 != lfn_seq || u8(e, 13) != lfn_sum) {
        lfn_seq = 0; // an orphan or out-of-order piece: fall back to the 8.3 name
        continue;
      }
      for (std::size_t k = 0; k < kLfnChars; ++k) {
        lfn[(seq - 1) * kLfnChars + k] = le16(e, kLfnOffsets[k]);
      }
      lfn_seq = seq;
      continue;
    }
    const bool have_lfn = lfn_seq == 1 && lfn_sum == lfn_checksum(e);
    lfn_seq = 0;
    if ((attr & kAttrVolume) != 0 || first == '.') {
      continue; // the volume label, "." and ".."
    }
    Entry en;
    en.short_name = short_name(e);
    en.name = have_lfn ? utf16_to_utf8(lfn) : en.short_name;
    if (en.name.empty()) {
      en.name = en.short_name;
    }
    en.attributes = attr;
    en.is_dir = (attr & kAttrDir) != 0;
    en.size = en.is_dir ? 0 : le32(e, 28);
    en.first_cluster = le16(e, 26);
    if (geo_.type == FatType::fat32) {
      en.first_cluster |= static_cast<std::uint32_t>(le16(e, 20)) << 16U;
    }
    out.push_back(std::move(en));
  }
  return out;
}

std::vector<Entry> FatVolume::read_dir(const Located &dir) const {
  const std::string what = "directory " + dir.where;
  if (dir.root && geo_.type != FatType::fat32) {
    std::vector<std::byte> raw(root_entries_ * kDirent);
    read_exact(root_offset_, raw, what);
    return parse_dir(raw);
  }
  if (dir.entry.first_cluster == 0) {
    fail(what, "a directory without a first cluster");
  }
  const std::size_t limit = std::max<std::uint64_t>(1, kMaxDirBytes / geo_.cluster_bytes);
  return parse_dir(read_clusters(chain(dir.entry.first_cluster, limit, false, what), what));
}

std::optional<FatVolume::Located> FatVolume::locate(std::string_view path) const {
  Located cur;
  cur.entry.name = "/";
  cur.entry.is_dir = true;
  cur.entry.attributes = kAttrDir;
  cur.entry.first_cluster = root_cluster_;
  for (const auto part : split_path(path)) {
    if (!cur.entry.is_dir) {
      return std::nullopt;
    }
    const auto entries = read_dir(cur);
    const auto it = std::ranges::find_if(entries, [part](const Entry &en) {
      return iequal(en.name, part) || iequal(en.short_name, part);
    });
    if (it == entries.end()) {
      return std::nullopt;
    }
    cur.where += (cur.root ? "" : "/") + it->name;
    cur.entry = *it;
    cur.root = false;
  }
  return cur;
}

std::vector<Entry> FatVolume::list(std::string_view dir_path) const {
  const auto dir = locate(dir_path);
  if (!dir) {
    fail(fmt::format("directory {}", dir_path), "not found");
  }
  if (!dir->entry.is_dir) {
    fail(dir->where, "not a directory");
  }
  return read_dir(*dir);
}

std::optional<Entry> FatVolume::stat(std::string_view path) const {
  auto found = locate(path);
  return found ? std::optional<Entry>(std::move(found->entry)) : std::nullopt;
}

std::vector<std::byte> FatVolume::read_file(std::string_view path, std::uint64_t max_bytes) const {
  const auto found = locate(path);
  if (!found) {
    fail(fmt::format("file {}", path), "not found");
  }
  const Entry &en = found->entry;
  const std::string what = "file " + found->where;
  if (en.is_dir) {
    fail(what, "a directory, not a file");
  }
  if (en.size > max_bytes) {
    fail(what, fmt::format("{} bytes, more than the {} allowed", en.size, max_bytes));
  }
  if (en.size == 0) {
    return {};
  }
  if (en.first_cluster == 0) {
    fail(what, fmt::format("{} bytes but no first cluster", en.size));
  }
  const std::size_t cb = geo_.cluster_bytes;
  const std::size_t needed = (en.size + cb - 1) / cb;
  const auto clusters = chain(en.first_cluster, needed, true, what);
  if (clusters.size() < needed) {
    fail(what, fmt::format("the cluster chain ends after {} clusters; {} bytes need {}",
                           clusters.size(), en.size, needed));
  }
  auto data = read_clusters(clusters, what);
  data.resize(en.size);
  return data;
}

} // namespace kvmr::disk::fat
