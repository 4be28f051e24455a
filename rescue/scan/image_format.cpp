// Format sniffing from magic numbers (see image_format.hpp).
#include "rescue/scan/image_format.hpp"

#include "rescue/util/ascii.hpp"

#include <array>
#include <string>
#include <utility>

namespace kvmr::scan {
namespace {

constexpr std::array<std::pair<ImageFormat, std::string_view>, 10> names{{
    {ImageFormat::raw, "raw"},
    {ImageFormat::qcow2, "qcow2"},
    {ImageFormat::qcow, "qcow"},
    {ImageFormat::qed, "qed"},
    {ImageFormat::vmdk, "vmdk"},
    {ImageFormat::vdi, "vdi"},
    {ImageFormat::vhdx, "vhdx"},
    {ImageFormat::vpc, "vpc"},
    {ImageFormat::luks, "luks"},
    {ImageFormat::parallels, "parallels"},
}};

bool starts_with(Bytes b, std::string_view magic) noexcept {
  return has_at(b, 0, magic);
}

} // namespace

ImageFormat sniff_format(Bytes head) noexcept {
  using namespace std::string_view_literals;
  if (starts_with(head, "QFI\xfb"sv)) {
    // qcow (v1) and qcow2 share the magic; the version tells them apart.
    const bool v1 = has_at(head, 4, "\0\0\0\x01"sv);
    return v1 ? ImageFormat::qcow : ImageFormat::qcow2;
  }
  if (starts_with(head, "QED\0"sv)) {
    return ImageFormat::qed;
  }
  if (starts_with(head, "KDMV"sv) || starts_with(head, "COWD"sv) ||
      starts_with(head, "# Disk DescriptorFile"sv)) {
    return ImageFormat::vmdk;
  }
  if (has_at(head, 64, "\x7f\x10\xda\xbe"sv)) { // 0xbeda107f, little-endian
    return ImageFormat::vdi;
  }
  if (starts_with(head, "vhdxfile"sv)) {
    return ImageFormat::vhdx;
  }
  if (starts_with(head, "conectix"sv)) {
    return ImageFormat::vpc;
  }
  if (starts_with(head, "LUKS\xba\xbe"sv)) {
    return ImageFormat::luks;
  }
  if (starts_with(head, "WithoutFreeSpace"sv) || starts_with(head, "WithouFreSpacExt"sv)) {
    return ImageFormat::parallels;
  }
  return ImageFormat::raw;
}

std::string_view format_name(ImageFormat f) noexcept {
  for (const auto &[format, name] : names) {
    if (format == f) {
      return name;
    }
  }
  return "raw";
}

std::optional<ImageFormat> parse_format_name(std::string_view name) {
  const std::string lower = ascii_lower(std::string(name));
  if (lower == "iso") { // libvirt's name for a raw CD image
    return ImageFormat::raw;
  }
  if (lower == "vhd") {
    return ImageFormat::vpc;
  }
  for (const auto &[format, known] : names) {
    if (known == lower) {
      return format;
    }
  }
  return std::nullopt;
}

bool is_supported(ImageFormat f) noexcept {
  return f != ImageFormat::luks;
}

bool is_read_only_on_el(ImageFormat f) noexcept {
  return f != ImageFormat::raw && f != ImageFormat::qcow2 && f != ImageFormat::luks;
}

} // namespace kvmr::scan
