// Headers of the other formats qemu-img opens (see other_images.hpp). The
// layouts follow qemu's block drivers (vpc.c, parallels.c, qed.h, vdi.c,
// qcow.c, vmdk.c); where qemu computes a size in a way that is not simple
// (a vhdx whose metadata region is not where it should be) the size is
// left unset.
#include "rescue/scan/other_images.hpp"

#include "rescue/scan/host_path.hpp"
#include "rescue/scan/vmdk_descriptor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace kvmr::scan {
namespace {

// A backing file name longer than this is refused (qemu's own bound for
// qcow v1 is 1023 bytes).
constexpr std::uint32_t max_backing_name = 4096;

Bytes bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

void add(OtherImage &o, Severity s, std::string message) {
  o.problems.push_back(Problem{s, std::move(message)});
}

// The backing name stored at OFFSET (LENGTH bytes) of the file.
std::string backing_name_at(io::SourceTree &tree, const std::string &real_path,
                            std::uint64_t offset, std::uint32_t length, OtherImage &o,
                            const std::string &path) {
  if (length == 0) {
    return {};
  }
  if (length > max_backing_name) {
    add(o, Severity::error,
        fmt::format("{}: backing file name of {} bytes: not read", path, length));
    return {};
  }
  std::string name = tree.read_range(real_path, offset, length);
  if (name.size() != length) {
    add(o, Severity::error, fmt::format("{}: backing file name past the end of the file", path));
    return {};
  }
  return name.substr(0, std::min(name.find('\0'), name.size()));
}

// VHD's footer (big-endian): the size qemu gives the disk. qemu takes the
// CHS geometry, except for the creators known to write the exact size and
// for the largest geometry.
std::uint64_t vpc_size(Bytes footer) {
  constexpr std::array<std::string_view, 5> exact{"win ", "qem2", "d2v ", "CTXS",
                                                  std::string_view("tap\0", 4)};
  const std::uint64_t chs = std::uint64_t{be16(footer, 56)} *
                            std::to_integer<std::uint8_t>(footer[58]) *
                            std::to_integer<std::uint8_t>(footer[59]);
  const bool creator_exact = std::any_of(exact.begin(), exact.end(),
                                         [&](std::string_view c) { return has_at(footer, 28, c); });
  if (creator_exact || chs == std::uint64_t{65535} * 16U * 255U) {
    return be64(footer, 48);
  }
  return chs * 512U;
}

void read_vpc(io::SourceTree &tree, const std::string &real_path, std::string_view head,
              std::uint64_t size, OtherImage &o) {
  std::string footer(head.substr(0, 512));
  if (!has_at(bytes(footer), 0, "conectix") && size >= 512) {
    footer = tree.read_range(real_path, size - 512, 512);
  }
  if (footer.size() >= 64 && has_at(bytes(footer), 0, "conectix")) {
    o.virtual_size = vpc_size(bytes(footer));
  }
}

void read_qed(io::SourceTree &tree, const std::string &path, const std::string &real_path, Bytes h,
              OtherImage &o) {
  constexpr std::uint64_t backing_file = 0x01;
  constexpr std::uint64_t backing_no_probe = 0x04;
  o.virtual_size = le64(h, 48);
  const std::uint64_t features = le64(h, 16);
  if ((features & backing_file) != 0) {
    o.backing_name = backing_name_at(tree, real_path, le32(h, 56), le32(h, 60), o, path);
    if ((features & backing_no_probe) != 0) {
      o.backing_format = "raw";
    }
  }
}

void read_qcow1(io::SourceTree &tree, const std::string &path, const std::string &real_path,
                Bytes h, OtherImage &o) {
  o.virtual_size = be64(h, 24);
  o.backing_name = backing_name_at(tree, real_path, be64(h, 8), be32(h, 16), o, path);
}

void take_descriptor(const VmdkDescriptor &d, const std::string &path, OtherImage &o) {
  for (const auto &p : d.problems) {
    add(o, Severity::warning, fmt::format("{}: VMDK descriptor {}: ignored", path, p));
  }
  if (!d.extents.empty()) {
    o.virtual_size = d.virtual_size();
  }
  for (const auto &e : d.extents) {
    // A sparse file's embedded descriptor names the file itself.
    if (!e.file.empty() && resolve(dirname(path), e.file) != normalize(path)) {
      o.extent_names.push_back(e.file);
    }
  }
  if (!d.parent_hint.empty()) {
    o.backing_name = d.parent_hint;
    o.backing_format = "vmdk";
  }
}

void read_vmdk_sparse(io::SourceTree &tree, const std::string &path, const std::string &real_path,
                      Bytes h, OtherImage &o) {
  const auto sparse = parse_vmdk_sparse_header(h);
  if (!sparse) {
    return;
  }
  o.virtual_size = sparse->capacity * 512U;
  if (sparse->descriptor_offset == 0 || sparse->descriptor_size == 0) {
    return;
  }
  if (sparse->descriptor_size > vmdk_descriptor_max / 512U ||
      sparse->descriptor_offset > (std::uint64_t{1} << 54U)) {
    add(o, Severity::error,
        fmt::format("{}: embedded VMDK descriptor of {} sectors at sector {}: not read", path,
                    sparse->descriptor_size, sparse->descriptor_offset));
    return;
  }
  const std::string text =
      tree.read_range(real_path, sparse->descriptor_offset * 512U, sparse->descriptor_size * 512U);
  take_descriptor(parse_vmdk_descriptor(text), path, o);
}

void read_vmdk(io::SourceTree &tree, const std::string &path, const std::string &real_path,
               std::string_view head, std::uint64_t size, OtherImage &o) {
  if (head.starts_with("KDMV")) {
    read_vmdk_sparse(tree, path, real_path, bytes(head), o);
  } else if (head.starts_with("COWD")) {
    o.virtual_size = std::uint64_t{le32(bytes(head), 12)} * 512U;
  } else if (size > vmdk_descriptor_max) {
    add(o, Severity::error,
        fmt::format("{}: VMDK descriptor larger than {} bytes: not read", path,
                    vmdk_descriptor_max));
  } else {
    const VmdkDescriptor d = parse_vmdk_descriptor(head);
    if (d.extents.empty()) {
      add(o, Severity::error, fmt::format("{}: VMDK descriptor lists no extent", path));
    }
    take_descriptor(d, path, o);
  }
}

} // namespace

namespace {

// VHDX: the virtual size is an item of the metadata region, found through
// the region table at 192 KiB (GUIDs as stored: the first three fields
// little-endian). Unset when the file does not hold them where the
// specification puts them.
std::optional<std::uint64_t> vhdx_size(io::SourceTree &tree, const std::string &real_path) {
  using namespace std::string_view_literals;
  constexpr auto metadata_region =
      "\x06\xa2\x7c\x8b\x90\x47\x9a\x4b\xb8\xfe\x57\x5f\x05\x0f\x88\x6e"sv;
  constexpr auto virtual_disk_size =
      "\x24\x42\xa5\x2f\x1b\xcd\x76\x48\xb2\x11\x5d\xbe\xd8\x3b\xf4\xb8"sv;
  constexpr std::uint64_t region_table = 192 * 1024;
  constexpr std::size_t table_bytes = 64 * 1024;
  const std::string regions = tree.read_range(real_path, region_table, table_bytes);
  const Bytes r = bytes(regions);
  if (regions.size() < 16 || !has_at(r, 0, "regi"sv)) {
    return std::nullopt;
  }
  std::optional<std::uint64_t> meta_offset;
  for (std::size_t e = 16, n = le32(r, 8); n > 0 && e + 32 <= regions.size(); e += 32, --n) {
    if (has_at(r, e, metadata_region)) {
      meta_offset = le64(r, e + 16);
    }
  }
  if (!meta_offset) {
    return std::nullopt;
  }
  const std::string table = tree.read_range(real_path, *meta_offset, table_bytes);
  const Bytes t = bytes(table);
  if (table.size() < 32 || !has_at(t, 0, "metadata"sv)) {
    return std::nullopt;
  }
  for (std::size_t e = 32, n = le16(t, 10); n > 0 && e + 32 <= table.size(); e += 32, --n) {
    if (has_at(t, e, virtual_disk_size) && le32(t, e + 20) >= 8) {
      const std::string value = tree.read_range(real_path, *meta_offset + le32(t, e + 16), 8);
      return value.size() == 8 ? std::optional(le64(bytes(value), 0)) : std::nullopt;
    }
  }
  return std::nullopt;
}

} // namespace

bool is_fixed_vhd_footer(std::string_view tail) noexcept {
  return tail.starts_with("conectix");
}

OtherImage read_other_image(io::SourceTree &tree, const std::string &path,
                            const std::string &real_path, ImageFormat f, std::string_view head,
                            std::uint64_t size) {
  OtherImage o;
  const Bytes h = bytes(head);
  const auto fits = [&](std::size_t n) { return head.size() >= n; };
  switch (f) {
  case ImageFormat::vpc: read_vpc(tree, real_path, head, size, o); break;
  case ImageFormat::qed:
    if (fits(64)) {
      read_qed(tree, path, real_path, h, o);
    }
    break;
  case ImageFormat::qcow:
    if (fits(32)) {
      read_qcow1(tree, path, real_path, h, o);
    }
    break;
  case ImageFormat::vdi:
    if (fits(376)) {
      o.virtual_size = le64(h, 368);
    }
    break;
  case ImageFormat::parallels:
    if (fits(44)) {
      o.virtual_size = le64(h, 36) * 512U;
    }
    break;
  case ImageFormat::vmdk: read_vmdk(tree, path, real_path, head, size, o); break;
  case ImageFormat::vhdx: o.virtual_size = vhdx_size(tree, real_path); break;
  default: break;
  }
  return o;
}

} // namespace kvmr::scan
