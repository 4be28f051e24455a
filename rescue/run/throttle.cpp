// Rate-limited reads (see throttle.hpp).
#include "rescue/run/throttle.hpp"

#include <thread>

namespace kvmr::run {

ThrottledByteSource::ThrottledByteSource(io::ByteSource &inner, std::uint64_t bytes_per_second)
    : inner_(inner), rate_(bytes_per_second == 0 ? 1 : bytes_per_second),
      start_(std::chrono::steady_clock::now()) {
}

std::size_t ThrottledByteSource::read_at(std::uint64_t offset, std::span<std::byte> out) {
  const std::size_t n = inner_.read_at(offset, out);
  pace(n);
  return n;
}

std::size_t ThrottledByteSource::read_direct(std::uint64_t offset, std::span<std::byte> out) {
  const std::size_t n = inner_.read_direct(offset, out);
  pace(n);
  return n;
}

void ThrottledByteSource::pace(std::size_t n) {
  read_ += n;
  // Sleep until the bytes read so far fit the rate since the start.
  const auto due =
      start_ +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(static_cast<double>(read_) / static_cast<double>(rate_)));
  std::this_thread::sleep_until(due);
}

} // namespace kvmr::run
