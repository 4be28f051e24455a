// Reading a source that may have unreadable sectors: a read that fails is
// split in halves at sector boundaries until single sectors fail; those
// are zero-filled and recorded, everything else is read. The halves are
// read with ByteSource::read_direct (O_DIRECT): through a filesystem a
// buffered read fails the whole page-cache folio around a bad sector, so
// buffered halves could never narrow it below the folio (1 MiB here). Errors that say
// the source itself is gone (ENODEV, ENXIO, EBADF...) are not sector
// errors and are rethrown. A short read inside the source's size means the
// source shrank: SourceChanged.
#pragma once

#include "rescue/copy/pipeline.hpp"
#include "rescue/io/byte_source.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace kvmr::copy {

// How a read is made: ByteSource::read_at or ByteSource::read_direct.
enum class ReadWay { buffered, direct };

// True when errno ERR from a read means "these sectors cannot be read"
// (EIO, ENODATA, EILSEQ, EBADMSG...) rather than a broken source.
bool is_medium_error(int err);

// Appends R to RANGES (sorted, R at or after the last), merging touching ones.
void append_range(std::vector<ByteRange> &ranges, const ByteRange &r);

// Reads OUT.size() bytes at OFFSET (all inside SRC's size). Unreadable
// sectors (SECTOR bytes, aligned to multiples of SECTOR in the source) are
// zeros in OUT and appended to BAD. Returns the bytes read successfully.
// The whole range is read FIRST way, the halves of a failed read SPLIT way.
std::uint64_t read_tolerant(io::ByteSource &src, std::uint64_t offset, std::span<std::byte> out,
                            std::uint32_t sector, std::vector<ByteRange> &bad,
                            ReadWay first = ReadWay::buffered, ReadWay split = ReadWay::direct);

// True when EXTENTS are all holes (or there are none): nothing to read.
bool holes_only(const std::vector<io::Extent> &extents);

// Fills BLOCK (offset and data span set) from SRC: data extents are read
// with read_tolerant, holes are zeros, known-unreadable extents are zeros
// and bad. EXTENTS cover the block. Sets block.extents, bad, all_zero and
// data_bytes. Returns the bytes read successfully. Data is read FIRST
// way, failed reads are split SPLIT way.
std::uint64_t fill_block(io::ByteSource &src, Block &block, std::vector<io::Extent> extents,
                         std::uint32_t sector, ReadWay first = ReadWay::buffered,
                         ReadWay split = ReadWay::direct);

// The extents of SORTED (adjacent, in order) that overlap [FROM, TO),
// clipped to it.
std::vector<io::Extent> extents_within(const std::vector<io::Extent> &sorted, std::uint64_t from,
                                       std::uint64_t to);

} // namespace kvmr::copy
