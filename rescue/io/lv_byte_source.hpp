// An LV read through its segment map, without device-mapper: each read is
// split at segment and stripe-chunk boundaries (lvm::resolve) and served
// from the PV's image file or device, each opened once, read-only. Bytes
// on a missing PV or past a PV's readable end fail with a SysError naming
// the LV and the LV offset; the copy engine treats them as unreadable.
#pragma once

#include "rescue/io/byte_source.hpp"
#include "rescue/io/direct_reader.hpp"
#include "rescue/lvm/volume_map.hpp"
#include "rescue/util/fd.hpp"

#include <map>
#include <memory>

namespace kvmr::io {

class LvByteSource final : public ByteSource {
public:
  // NAME is how messages call the LV ("centos/db01"). Opens every PV path
  // LV's present stripes name; throws SysError naming the path when one
  // cannot be opened.
  LvByteSource(std::string name, lvm::LvMap lv);

  [[nodiscard]] std::uint64_t size() const override { return lv_.size; }
  [[nodiscard]] std::string describe() const override { return name_; }
  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) override;
  // Direct reads from each PV (io::DirectReader).
  std::size_t read_direct(std::uint64_t offset, std::span<std::byte> out) override;
  // Per contiguous run: holes of a PV image file, all data on a device,
  // unreadable where the PV is missing or too short.
  std::vector<Extent> extents(std::uint64_t from, std::uint64_t length) override;
  [[nodiscard]] const lvm::LvMap &map() const { return lv_; }

private:
  struct Pv {
    UniqueFd fd;
    std::uint64_t size = 0; // bytes of the file or device
    bool regular = false;
    std::unique_ptr<DirectReader> direct;
  };
  const Pv &pv_for(const lvm::ByteRange &r) const;
  std::size_t read_from(std::uint64_t offset, std::span<std::byte> out, bool direct);

  std::string name_;
  lvm::LvMap lv_;
  std::map<std::string, Pv> pvs_; // by path
};

} // namespace kvmr::io
