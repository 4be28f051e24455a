// Overlapped I/O for the copy engine: a few large aligned buffers cycle
// from one producer thread (reading) to several consumer threads (writing,
// hashing) that work on the same block at once; a block's buffer returns
// to the pool when every consumer is done with it. The first exception in
// any thread stops all of them and is rethrown by run().
#pragma once

#include "rescue/io/aligned_buffer.hpp"
#include "rescue/io/byte_source.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace kvmr::copy {

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  [[nodiscard]] std::uint64_t end() const { return offset + length; }
  friend bool operator==(const ByteRange &, const ByteRange &) = default;
};

struct Block {
  std::size_t chunk = 0;
  std::uint64_t offset = 0;        // of the first byte, in the file
  std::span<std::byte> data;       // this block's bytes (the buffer's first part)
  std::vector<io::Extent> extents; // absolute offsets, covering the block
  std::vector<ByteRange> bad;      // unreadable ranges (zeros in data)
  bool all_zero = false;           // only zeros (holes, bad ranges); data unset when all holes
  std::uint64_t data_bytes = 0;    // bytes of data extents (not holes)
  std::uint64_t zeros_before = 0;  // verification: bytes of hole chunks just before this one
  std::string hash;                // filled in by a hashing consumer
};

class Pipeline {
public:
  // DEPTH buffers of BLOCK_SIZE bytes each.
  Pipeline(std::size_t depth, std::size_t block_size);

  // Fills BLOCK (its data span is the whole buffer: shorten it) and
  // returns true, or returns false when there is nothing more.
  using Producer = std::function<bool(Block &)>;
  using Consumer = std::function<void(Block &)>;

  // Runs PRODUCER on a thread of its own, CONSUMERS[0] on the calling
  // thread and every other consumer on a thread of its own; each consumer
  // sees every block, in production order. FINISHED runs once per block
  // after the last consumer is done with it (on that consumer's thread).
  void run(const Producer &producer, const std::vector<Consumer> &consumers,
           const Consumer &finished);

private:
  std::size_t block_size_;
  std::vector<io::AlignedBuffer> buffers_;
};

} // namespace kvmr::copy
