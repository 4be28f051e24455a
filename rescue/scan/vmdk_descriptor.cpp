// VMDK descriptor parsing (see vmdk_descriptor.hpp), after VMware's
// "Virtual Disk Format 5.0" and qemu's block/vmdk.c: key=value lines and
// extent lines "ACCESS SECTORS KIND ["FILE" [OFFSET]]"; other lines are
// ignored, as qemu ignores them.
#include "rescue/scan/vmdk_descriptor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace kvmr::scan {
namespace {

constexpr std::string_view blanks = " \t\r";

std::string_view trim(std::string_view s) {
  const std::size_t b = s.find_first_not_of(blanks);
  if (b == std::string_view::npos) {
    return {};
  }
  return s.substr(b, s.find_last_not_of(blanks) - b + 1);
}

// Takes the next blank-separated word off the front of S.
std::string_view word(std::string_view &s) {
  s = trim(s);
  const std::size_t end = std::min(s.find_first_of(blanks), s.size());
  const std::string_view w = s.substr(0, end);
  s.remove_prefix(end);
  return w;
}

std::optional<std::uint64_t> number(std::string_view w) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  if (ec != std::errc{} || end != w.data() + w.size() || w.empty()) {
    return std::nullopt;
  }
  return v;
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

bool is_access(std::string_view w) {
  return w == "RW" || w == "RDONLY" || w == "NOACCESS";
}

// Parses the rest of an extent line after its access word; an error text
// when the line is not understood.
std::string extent_line(std::string_view rest, VmdkExtent &e) {
  const auto sectors = number(word(rest));
  e.kind = std::string(word(rest));
  if (!sectors || e.kind.empty()) {
    return "an extent line needs a sector count and a kind";
  }
  e.sectors = *sectors;
  rest = trim(rest);
  if (rest.empty()) {
    return e.kind == "ZERO" ? "" : "an extent line names no file";
  }
  if (rest.front() != '"') {
    return "an extent's file name is not quoted";
  }
  const std::size_t close = rest.find('"', 1);
  if (close == std::string_view::npos || close == 1) {
    return "an extent's file name is not closed or is empty";
  }
  e.file = std::string(rest.substr(1, close - 1));
  rest.remove_prefix(close + 1);
  rest = trim(rest);
  if (!rest.empty()) {
    const auto offset = number(word(rest));
    if (!offset || !trim(rest).empty()) {
      return "an extent's offset is not a number";
    }
    e.offset = *offset;
  }
  return {};
}

void key_value(std::string_view line, VmdkDescriptor &d) {
  const std::size_t eq = line.find('=');
  const std::string_view key = trim(line.substr(0, eq));
  const std::string_view value = unquote(trim(line.substr(eq + 1)));
  if (key == "createType") {
    d.create_type = std::string(value);
  } else if (key == "parentFileNameHint") {
    d.parent_hint = std::string(value);
  }
}

void parse_line(std::string_view line, std::size_t number_of_line, VmdkDescriptor &d) {
  line = trim(line);
  if (line.empty() || line.front() == '#') {
    return;
  }
  std::string_view rest = line;
  const std::string_view first = word(rest);
  if (is_access(first)) {
    VmdkExtent e;
    e.access = std::string(first);
    const std::string why = extent_line(rest, e);
    if (why.empty()) {
      d.extents.push_back(std::move(e));
    } else {
      d.problems.push_back(fmt::format("line {}: {}", number_of_line, why));
    }
  } else if (line.find('=') != std::string_view::npos) {
    key_value(line, d);
  }
}

} // namespace

std::uint64_t VmdkDescriptor::virtual_size() const {
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t sectors = 0;
  for (const auto &e : extents) {
    sectors = e.sectors > max - sectors ? max : sectors + e.sectors;
  }
  return sectors > max / 512U ? max : sectors * 512U;
}

VmdkDescriptor parse_vmdk_descriptor(std::string_view text) {
  VmdkDescriptor d;
  text = text.substr(0, std::min(text.find('\0'), text.size()));
  if (text.size() > vmdk_descriptor_max) {
    d.problems.push_back(fmt::format("descriptor larger than {} bytes", vmdk_descriptor_max));
    return d;
  }
  std::size_t n = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    parse_line(text.substr(0, end), ++n, d);
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return d;
}

std::optional<VmdkSparseHeader> parse_vmdk_sparse_header(Bytes head) noexcept {
  if (head.size() < 44 || !has_at(head, 0, "KDMV")) {
    return std::nullopt;
  }
  // Little-endian: magic, version, flags, capacity, grain size,
  // descriptor offset, descriptor size (VMware's SparseExtentHeader).
  VmdkSparseHeader h;
  h.version = le32(head, 4);
  h.capacity = le64(head, 12);
  h.descriptor_offset = le64(head, 28);
  h.descriptor_size = le64(head, 36);
  return h;
}

} // namespace kvmr::scan
