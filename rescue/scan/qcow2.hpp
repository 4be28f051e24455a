// The qcow2 image header (versions 2 and 3), parsed from the first bytes of
// an image: virtual size, cluster size, encryption, feature bits, the
// backing file name and the header extensions that name files (backing
// format, external data file). A pure parser: no I/O. Every offset and
// length in the header is checked against the bytes given; a lying header
// is an InputError naming the file and the field, never a read past the
// buffer. Layout: qemu docs/interop/qcow2.txt.
#pragma once

#include "rescue/util/bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

// Header extension types.
inline constexpr std::uint32_t qcow2_ext_end = 0;
inline constexpr std::uint32_t qcow2_ext_backing_format = 0xe2792acaU;
inline constexpr std::uint32_t qcow2_ext_feature_table = 0x6803f857U;
inline constexpr std::uint32_t qcow2_ext_data_file = 0x44415441U;
inline constexpr std::uint32_t qcow2_ext_crypto = 0x0537be77U;
inline constexpr std::uint32_t qcow2_ext_bitmaps = 0x23852875U;

// Incompatible feature bits.
inline constexpr std::uint64_t qcow2_incompat_dirty = 1U << 0U;
inline constexpr std::uint64_t qcow2_incompat_corrupt = 1U << 1U;
inline constexpr std::uint64_t qcow2_incompat_data_file = 1U << 2U;
inline constexpr std::uint64_t qcow2_incompat_compression = 1U << 3U;
inline constexpr std::uint64_t qcow2_incompat_extended_l2 = 1U << 4U;
inline constexpr std::uint64_t qcow2_incompat_known = 0x1fU;
// Autoclear bit: the external data file is a valid raw image by itself.
inline constexpr std::uint64_t qcow2_autoclear_data_file_raw = 1U << 0U;

// A qemu limit: longer backing file names are refused when opening.
inline constexpr std::uint32_t qcow2_max_backing_name = 1023;

enum class Qcow2Crypt : std::uint32_t { none = 0, aes = 1, luks = 2 };

struct Qcow2Header {
  std::uint32_t version = 0;             // 2 (compat=0.10) or 3 (compat=1.1)
  std::uint64_t backing_file_offset = 0; // 0: no backing file
  std::uint32_t backing_file_size = 0;
  std::uint32_t cluster_bits = 0; // 9..21
  std::uint64_t cluster_size = 0;
  std::uint64_t virtual_size = 0; // bytes the guest sees
  std::uint32_t crypt_method = 0; // see Qcow2Crypt; other values are kept as read
  // Where the tables are (as stored; not checked against the file size).
  std::uint32_t l1_size = 0; // L1 entries
  std::uint64_t l1_table_offset = 0;
  std::uint64_t refcount_table_offset = 0;
  std::uint32_t refcount_table_clusters = 0;
  std::uint32_t nb_snapshots = 0;
  std::uint64_t snapshots_offset = 0;
  std::uint64_t incompatible_features = 0;
  std::uint64_t compatible_features = 0;
  std::uint64_t autoclear_features = 0;
  std::uint32_t refcount_order = 4; // v2 is always 4 (16-bit refcounts)
  std::uint32_t header_length = 72; // v2: 72; v3: as stored

  // Set when the header names a backing file (and it lay within the bytes
  // given). Written as it is, not resolved.
  std::optional<std::string> backing_file;
  std::string backing_format;                    // header extension; empty when absent
  std::string data_file;                         // external data file name; empty when absent
  std::vector<std::uint32_t> unknown_extensions; // types skipped, in order

  // Nonzero when the bytes given ended before the backing file name or the
  // header extensions: parse again with at least this many leading bytes.
  // The fields above that depend on the missing bytes are not filled. Once
  // the 72 fixed bytes were given, it covers the whole first cluster and
  // the backing name, so one more read always completes the parse.
  std::uint64_t need_prefix = 0;

  [[nodiscard]] bool has_backing() const noexcept { return backing_file_offset != 0; }
  [[nodiscard]] bool complete() const noexcept { return need_prefix == 0; }
};

// How many leading bytes to read for a first parse: one 64 KiB cluster
// (the default size) holds the header, its extensions and the backing name.
inline constexpr std::size_t qcow2_first_read = std::size_t{64} * 1024;

// Parses the header at the start of HEAD, the first bytes of the image NAME
// (NAME only appears in error messages). END_OF_FILE says HEAD ends where
// the file ends: anything the header places beyond it is then a truncation
// error instead of a request for more (need_prefix).
// Throws InputError for anything qemu would refuse to open, with the file
// and the field named ("top.qcow2: qcow2 cluster_bits 40 outside 9..21").
Qcow2Header parse_qcow2_header(Bytes head, std::string_view name, bool end_of_file);

// The incompatible feature bits this parser does not know (qemu refuses
// images that set any).
inline std::uint64_t unknown_incompatible(const Qcow2Header &h) noexcept {
  return h.incompatible_features & ~qcow2_incompat_known;
}

} // namespace kvmr::scan
