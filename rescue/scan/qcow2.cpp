// qcow2 header parsing (see qcow2.hpp). The checks follow what qemu's
// qcow2_do_open and qcow2_read_extensions refuse, so an image this parser
// accepts is one qemu would open, and the reverse.
#include "rescue/scan/qcow2.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace kvmr::scan {
namespace {

constexpr std::size_t v2_header_length = 72;
constexpr std::size_t v3_min_header_length = 104;
constexpr std::uint32_t min_cluster_bits = 9;
constexpr std::uint32_t max_cluster_bits = 21;
constexpr std::size_t max_backing_format = 15; // qemu keeps it in char[16]

[[noreturn]] void fail(std::string_view name, const std::string &what) {
  throw InputError(fmt::format("{}: qcow2 header: {}", name, what));
}

// The state of one parse: the bytes, whether they are the whole file, and
// the largest prefix found missing so far.
struct Reader {
  Bytes head;
  std::string_view name;
  bool end_of_file;
  std::uint64_t need = 0;

  // True when [OFFSET, OFFSET+LENGTH) lies within HEAD. Otherwise records
  // the prefix needed (or throws, at the end of the file) and returns false.
  bool have(std::uint64_t offset, std::uint64_t length, std::string_view what) {
    const std::uint64_t end = offset + length; // callers keep both below 2^32
    if (end <= head.size()) {
      return true;
    }
    if (end_of_file) {
      fail(name, fmt::format("{} (offset {}, {} bytes) runs past the end of the file ({} bytes)",
                             what, offset, length, head.size()));
    }
    need = std::max(need, end);
    return false;
  }

  [[nodiscard]] Bytes at(std::uint64_t offset, std::uint64_t length) const {
    return head.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
  }
};

void read_fixed_fields(Qcow2Header &h, Bytes head, std::string_view name) {
  h.version = be32(head, 4);
  if (h.version != 2 && h.version != 3) {
    fail(name, fmt::format("version {} not supported (2 or 3){}", h.version,
                           h.version == 1 ? ": this is a qcow (version 1) image" : ""));
  }
  h.backing_file_offset = be64(head, 8);
  h.backing_file_size = be32(head, 16);
  h.cluster_bits = be32(head, 20);
  h.virtual_size = be64(head, 24);
  h.crypt_method = be32(head, 32);
  h.l1_size = be32(head, 36);
  h.l1_table_offset = be64(head, 40);
  h.refcount_table_offset = be64(head, 48);
  h.refcount_table_clusters = be32(head, 56);
  h.nb_snapshots = be32(head, 60);
  h.snapshots_offset = be64(head, 64);
  if (h.cluster_bits < min_cluster_bits || h.cluster_bits > max_cluster_bits) {
    fail(name, fmt::format("cluster_bits {} outside {}..{}", h.cluster_bits, min_cluster_bits,
                           max_cluster_bits));
  }
  h.cluster_size = std::uint64_t{1} << h.cluster_bits;
  if (h.virtual_size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    fail(name, fmt::format("virtual size {} too large", h.virtual_size));
  }
  if (h.crypt_method > static_cast<std::uint32_t>(Qcow2Crypt::luks)) {
    fail(name, fmt::format("crypt_method {} unknown (0 none, 1 AES, 2 LUKS)", h.crypt_method));
  }
}

// Reads the v3 fields; false when HEAD is too short (need recorded).
bool read_v3_fields(Qcow2Header &h, Reader &r) {
  if (!r.have(0, v3_min_header_length, "version 3 header")) {
    return false;
  }
  h.incompatible_features = be64(r.head, 72);
  h.compatible_features = be64(r.head, 80);
  h.autoclear_features = be64(r.head, 88);
  h.refcount_order = be32(r.head, 96);
  h.header_length = be32(r.head, 100);
  if (h.header_length < v3_min_header_length) {
    fail(r.name,
         fmt::format("header_length {} shorter than {}", h.header_length, v3_min_header_length));
  }
  if (h.header_length > h.cluster_size) {
    fail(r.name, fmt::format("header_length {} exceeds the cluster size {}", h.header_length,
                             h.cluster_size));
  }
  if (h.refcount_order > 6) {
    fail(r.name, fmt::format("refcount_order {} above 6", h.refcount_order));
  }
  return r.have(0, h.header_length, "header");
}

// Walks the header extensions from the end of the header to the backing
// file name (or the end of the first cluster), as qemu does.
void read_extensions(Qcow2Header &h, Reader &r) {
  const std::uint64_t end = h.has_backing() ? h.backing_file_offset : h.cluster_size;
  std::uint64_t off = h.header_length;
  while (off < end) {
    if (end - off < 8) {
      fail(r.name, fmt::format("header extension at offset {} runs past the extension area "
                               "(which ends at {})",
                               off, end));
    }
    if (!r.have(off, 8, fmt::format("header extension at offset {}", off))) {
      r.need = std::max(r.need, end);
      return;
    }
    const std::uint32_t type = be32(r.head, static_cast<std::size_t>(off));
    const std::uint32_t len = be32(r.head, static_cast<std::size_t>(off) + 4);
    off += 8;
    if (len > end - off) {
      fail(r.name, fmt::format("header extension 0x{:08x} at offset {}: length {} runs past the "
                               "extension area (which ends at {})",
                               type, off - 8, len, end));
    }
    if (!r.have(off, len, fmt::format("header extension 0x{:08x}", type))) {
      r.need = std::max(r.need, end);
      return;
    }
    const Bytes data = r.at(off, len);
    switch (type) {
    case qcow2_ext_end: return;
    case qcow2_ext_backing_format:
      if (len > max_backing_format) {
        fail(r.name,
             fmt::format("backing format extension length {} above {}", len, max_backing_format));
      }
      h.backing_format = c_string(data);
      break;
    case qcow2_ext_data_file: h.data_file = c_string(data); break;
    case qcow2_ext_feature_table:
    case qcow2_ext_crypto:
    case qcow2_ext_bitmaps: break;
    default: h.unknown_extensions.push_back(type); break;
    }
    off += (std::uint64_t{len} + 7U) & ~std::uint64_t{7};
  }
}

// qemu's limits on where the backing file name may lie.
void check_backing_place(const Qcow2Header &h, std::string_view name) {
  if (!h.has_backing()) {
    return;
  }
  if (h.backing_file_size > qcow2_max_backing_name) {
    fail(name, fmt::format("backing_file_size {} longer than {}", h.backing_file_size,
                           qcow2_max_backing_name));
  }
  if (h.backing_file_offset > h.cluster_size) {
    fail(name, fmt::format("backing_file_offset {} beyond the first cluster ({} bytes)",
                           h.backing_file_offset, h.cluster_size));
  }
}

void read_backing_name(Qcow2Header &h, Reader &r) {
  if (h.has_backing() && r.have(h.backing_file_offset, h.backing_file_size, "backing file name")) {
    h.backing_file = c_string(r.at(h.backing_file_offset, h.backing_file_size));
  }
}

// Once the fixed fields are known, a request for more asks for every byte
// the header can refer to (the first cluster and the backing name), so
// one more read always suffices.
std::uint64_t whole_request(const Qcow2Header &h, std::uint64_t need) {
  if (need == 0) {
    return 0;
  }
  const std::uint64_t name_end = h.has_backing() ? h.backing_file_offset + h.backing_file_size : 0;
  return std::max({need, h.cluster_size, name_end});
}

} // namespace

Qcow2Header parse_qcow2_header(Bytes head, std::string_view name, bool end_of_file) {
  using namespace std::string_view_literals;
  Reader r{head, name, end_of_file};
  Qcow2Header h;
  if (!has_at(head, 0, "QFI\xfb"sv)) {
    if (head.size() < 4 && !end_of_file) {
      h.need_prefix = v3_min_header_length;
      return h;
    }
    fail(name, "no QFI\\xfb magic: not a qcow2 image");
  }
  if (!r.have(0, v2_header_length, "header")) {
    h.need_prefix = std::max<std::uint64_t>(r.need, v3_min_header_length);
    return h;
  }
  read_fixed_fields(h, head, name);
  check_backing_place(h, name);
  if (h.version == 3 && !read_v3_fields(h, r)) {
    h.need_prefix = whole_request(h, r.need);
    return h;
  }
  read_backing_name(h, r);
  read_extensions(h, r);
  h.need_prefix = whole_request(h, r.need);
  return h;
}

} // namespace kvmr::scan
