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
#include <optional>
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
//
// GATE, when set, lets verification trail a copy that is still running:
// GATE(c) blocks until chunk C is finished and returns how many leading
// chunks are (more than C), or nullopt to stop (the outcome is then not
// complete). The target's extents are then read for each newly finished
// run of chunks instead of once at the start. Without GATE every chunk
// must be finished already. The reading thread calls GATE and
// BEFORE_READ; MAP's finished chunks must not change meanwhile.
using RangeHook = std::function<void(std::uint64_t offset, std::uint64_t length)>;
using ChunkGate = std::function<std::optional<std::size_t>(std::size_t chunk)>;
VerifyOutcome verify_target(const std::string &path, const CopyMap &map, Pipeline &pipe,
                            const std::atomic<bool> *cancel, const RangeHook &before_read,
                            const std::function<void(std::uint64_t)> &on_block, bool direct = true,
                            const ChunkGate &gate = {});

} // namespace kvmr::copy
