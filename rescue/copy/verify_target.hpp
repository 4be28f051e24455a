// Verification: the finished NAME.partial is read back (its data extents;
// with direct reads, or buffered after the caller wrote the range back and
// dropped it from the page cache, so the bytes come from the device), each
// chunk's hash is compared with the hash taken when it was read from the
// source, and the whole logical content is hashed in order.
#pragma once

#include "rescue/copy/copy_map.hpp"
#include "rescue/copy/pipeline.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kvmr::copy {

struct VerifyOutcome {
  bool complete = false;               // false when cancelled part-way
  std::string whole_hash;              // of the whole content (when complete)
  std::vector<std::size_t> mismatched; // chunks whose hash differs
  std::uint64_t bytes_read = 0;        // data bytes read from the target
};

// Verifies PATH against MAP's chunk hashes (every chunk must be finished)
// through PIPE. BEFORE_READ(offset, length) runs on the reading thread
// before each chunk that is not a hole is read (the copy writes the chunk
// back and drops it from the page cache there, so verifying the first
// chunks overlaps the writeback of the last). ON_BLOCK runs on the
// calling thread after each chunk read with the data bytes read so far. Stops early when CANCEL is
// set. Throws SysError naming PATH when it cannot be read. DIRECT: read with
// ByteSource::read_direct (O_DIRECT) rather than through the page cache.
using RangeHook = std::function<void(std::uint64_t offset, std::uint64_t length)>;
VerifyOutcome verify_target(const std::string &path, const CopyMap &map, Pipeline &pipe,
                            const std::atomic<bool> *cancel, const RangeHook &before_read,
                            const std::function<void(std::uint64_t)> &on_block, bool direct = true);

} // namespace kvmr::copy
