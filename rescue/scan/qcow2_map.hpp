// The reverse map of a qcow2 image: for each damaged range of the image
// FILE (bytes the copy could not read and zero-filled), what it hit: the
// header, an L1 or L2 table, the refcount structures, the snapshot table
// (or a table or cluster only a snapshot uses), a data cluster and the
// guest bytes it holds, or a cluster nothing uses. Read from the copy on
// the target, where the damaged bytes are zeros: a table that lay in a
// damaged range reads as empty entries, which is reported ("metadata
// (unreadable)") with the guest bytes whose mapping was lost.
// Layout: qemu docs/interop/qcow2.txt. Images with an external data file
// or extended L2 entries are not mapped (said so per range).
#pragma once

#include "rescue/io/byte_source.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::scan {

// What a damaged range hit, most telling first (the order of Qcow2Hit::areas).
enum class Qcow2Area {
  header,      // the first cluster: header, extensions, backing name
  l1,          // the active L1 table
  l2,          // an L2 table of the active image
  refcount,    // the refcount table or a refcount block
  snapshot,    // the snapshot table, or a table or cluster only a snapshot uses
  data,        // a data cluster of the active image
  unknown,     // in use by something not mapped (a bitmap), or not mappable
  unallocated, // a cluster nothing uses (refcount 0): nothing lost
};
const char *to_string(Qcow2Area a) noexcept;

struct Qcow2Range {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const Qcow2Range &, const Qcow2Range &) = default;
};

struct Qcow2Hit {
  Qcow2Area area = Qcow2Area::unknown; // areas.front()
  std::vector<Qcow2Area> areas;        // every area the range touches, in enum order
  // Guest (virtual disk) bytes, sorted and merged. data: the guest bytes
  // the damaged file bytes held (a compressed cluster: its whole guest
  // cluster); l1/l2: the guest bytes whose mapping entries were lost.
  std::vector<Qcow2Range> guest_ranges;
  std::string detail; // plain words ("compressed cluster ...", "not mapped: ..."); may be empty
};

// One hit for each of BAD (damaged file ranges of IMAGE, in any order),
// in the same order. Throws SysError when IMAGE cannot be read; a damaged
// or unsupported image gives hits of area unknown saying why, not errors.
std::vector<Qcow2Hit> map_qcow2_damage(io::ByteSource &image, const std::vector<Qcow2Range> &bad);

} // namespace kvmr::scan
