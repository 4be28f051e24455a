// A ByteSource read no faster than a given rate (--max-rate): spares a
// failing disk a flood of reads, keeps a shared machine usable, and lets
// tests stop a copy half-way.
#pragma once

#include "rescue/io/byte_source.hpp"

#include <chrono>
#include <cstdint>

namespace kvmr::run {

class ThrottledByteSource final : public io::ByteSource {
public:
  // BYTES_PER_SECOND > 0. INNER must outlive this.
  ThrottledByteSource(io::ByteSource &inner, std::uint64_t bytes_per_second);

  [[nodiscard]] std::uint64_t size() const override { return inner_.size(); }
  [[nodiscard]] std::string describe() const override { return inner_.describe(); }
  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) override;
  // The inner source's direct reads (sector-exact on bad sectors), throttled too.
  std::size_t read_direct(std::uint64_t offset, std::span<std::byte> out) override;
  std::vector<io::Extent> extents(std::uint64_t from, std::uint64_t length) override {
    return inner_.extents(from, length);
  }

private:
  void pace(std::size_t n);
  io::ByteSource &inner_;
  std::uint64_t rate_;
  std::chrono::steady_clock::time_point start_;
  std::uint64_t read_ = 0;
};

} // namespace kvmr::run
