// Reading an LV range by range through its segment map (see
// lv_byte_source.hpp).
#include "rescue/io/lv_byte_source.hpp"

#include "rescue/io/file_byte_source.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace kvmr::io {
namespace {

// Missing bytes are "no such device or address": not a read the kernel
// failed, but one that cannot be made.
constexpr int kNotThere = ENXIO;

std::string where(const lvm::ByteRange &r) {
  return fmt::format("{} at offset {}", r.path, r.device_offset);
}

} // namespace

LvByteSource::LvByteSource(std::string name, lvm::LvMap lv)
    : name_(std::move(name)), lv_(std::move(lv)) {
  for (const auto &s : lv_.segments) {
    for (const auto &t : s.stripes) {
      if (!t.present || t.path.empty() || pvs_.contains(t.path)) {
        continue;
      }
      Pv pv;
      pv.fd = open_read_only(t.path);
      bool block = false;
      pv.size = source_size(pv.fd.get(), t.path, &block);
      pv.regular = !block;
      pv.direct = std::make_unique<DirectReader>(t.path);
      pvs_.emplace(t.path, std::move(pv));
    }
  }
}

const LvByteSource::Pv &LvByteSource::pv_for(const lvm::ByteRange &r) const {
  return pvs_.at(r.path); // every present stripe's path was opened
}

std::size_t LvByteSource::read_at(std::uint64_t offset, std::span<std::byte> out) {
  return read_from(offset, out, false);
}

std::size_t LvByteSource::read_direct(std::uint64_t offset, std::span<std::byte> out) {
  return read_from(offset, out, true);
}

std::size_t LvByteSource::read_from(std::uint64_t offset, std::span<std::byte> out, bool direct) {
  std::size_t done = 0;
  while (done < out.size() && offset + done < lv_.size) {
    const std::uint64_t at = offset + done;
    const lvm::ByteRange r = lvm::resolve(lv_, at);
    const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(r.length, out.size() - done));
    if (!r.present) {
      throw SysError(name_,
                     fmt::format("read at LV offset {}: {} bytes lie on a missing PV, past a "
                                 "PV's readable end or in an unmapped segment ({})",
                                 at, len, fmt::join(lv_.problems, "; ")),
                     kNotThere);
    }
    const Pv &pv = pv_for(r);
    std::size_t n = 0;
    try {
      const auto part = out.subspan(done, len);
      n = direct ? pv.direct->read(pv.fd.get(), r.device_offset, part)
                 : kvmr::read_at(pv.fd.get(), r.path, part, r.device_offset);
    } catch (const SysError &e) {
      throw SysError(name_, fmt::format("read at LV offset {} ({})", at, where(r)), e.error_code());
    }
    if (n < len) {
      throw SysError(name_,
                     fmt::format("read at LV offset {} ({}): the PV ends at byte {}, {} bytes "
                                 "short",
                                 at + n, where(r), r.device_offset + n, len - n),
                     kNotThere);
    }
    done += n;
  }
  return done;
}

std::vector<Extent> LvByteSource::extents(std::uint64_t from, std::uint64_t length) {
  std::vector<Extent> out;
  const std::uint64_t end = clipped_end(lv_.size, from, length);
  if (from >= end) {
    return out;
  }
  for (const auto &r : lvm::byte_ranges(lv_, from, end - from)) {
    if (!r.present) {
      append_extent(out, {r.lv_offset, r.length, ExtentKind::unreadable});
      continue;
    }
    const Pv &pv = pv_for(r);
    // The part of the run the file or device really holds.
    const std::uint64_t have =
        pv.size > r.device_offset ? std::min(r.length, pv.size - r.device_offset) : 0;
    if (pv.regular) {
      for (const auto &e :
           file_data_extents(pv.fd.get(), r.path, r.device_offset, r.device_offset + have)) {
        append_extent(out, {r.lv_offset + (e.offset - r.device_offset), e.length, e.kind});
      }
    } else {
      append_extent(out, {r.lv_offset, have, ExtentKind::data});
    }
    append_extent(out, {r.lv_offset + have, r.length - have, ExtentKind::unreadable});
  }
  return out;
}

} // namespace kvmr::io
