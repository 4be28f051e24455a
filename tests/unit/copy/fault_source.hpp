// A ByteSource wrapper for copy-engine tests: EIO on chosen byte ranges
// (until healed), an optional delay per read (so a kill lands mid-copy),
// a source that shrinks after some reads, and a count of the bytes read
// (optionally into a counter shared with a parent process).
#pragma once

#include "rescue/io/byte_source.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace kvmr::test {

class FaultySource final : public io::ByteSource {
public:
  explicit FaultySource(io::ByteSource &inner) : inner_(inner) {}

  // Reads that touch [OFFSET, OFFSET+LENGTH) fail with EIO until heal().
  void fail_range(std::uint64_t offset, std::uint64_t length);
  void heal();
  void set_delay(std::chrono::microseconds per_read) { delay_ = per_read; }
  // Once AFTER_BYTES have been read, the source ends at NEW_SIZE (reads
  // past it come back short, as from a truncated file).
  void shrink(std::uint64_t after_bytes, std::uint64_t new_size);
  // Also add every byte read to *COUNTER (e.g. in shared memory).
  void count_into(std::atomic<std::uint64_t> *counter) { shared_ = counter; }
  // Called (on the reading thread) before each read with its offset.
  void before_read(std::function<void(std::uint64_t offset)> hook) { hook_ = std::move(hook); }

  [[nodiscard]] std::uint64_t bytes_read() const { return read_.load(); }
  [[nodiscard]] std::uint64_t failed_reads() const { return failed_.load(); }
  // Calls of read_direct (the faults apply to both ways of reading).
  [[nodiscard]] std::uint64_t direct_reads() const { return direct_.load(); }

  [[nodiscard]] std::uint64_t size() const override { return inner_.size(); }
  [[nodiscard]] std::string describe() const override { return "faulty:" + inner_.describe(); }
  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) override;
  std::size_t read_direct(std::uint64_t offset, std::span<std::byte> out) override;
  std::vector<io::Extent> extents(std::uint64_t from, std::uint64_t length) override {
    return inner_.extents(from, length);
  }

private:
  std::size_t read(std::uint64_t offset, std::span<std::byte> out, bool direct);
  struct Range {
    std::uint64_t offset;
    std::uint64_t length;
  };
  io::ByteSource &inner_;
  std::mutex m_;
  std::vector<Range> bad_;
  std::chrono::microseconds delay_{0};
  std::uint64_t shrink_after_ = UINT64_MAX;
  std::uint64_t shrink_to_ = 0;
  std::atomic<std::uint64_t> read_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> direct_{0};
  std::atomic<std::uint64_t> *shared_ = nullptr;
  std::function<void(std::uint64_t)> hook_;
};

} // namespace kvmr::test
