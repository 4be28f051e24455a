// The fault-injecting test source (see fault_source.hpp).
#include "unit/copy/fault_source.hpp"

#include "rescue/util/error.hpp"

#include <algorithm>
#include <cerrno>
#include <string>
#include <thread>

namespace kvmr::test {

void FaultySource::fail_range(std::uint64_t offset, std::uint64_t length) {
  std::lock_guard lock(m_);
  bad_.push_back({offset, length});
}

void FaultySource::heal() {
  std::lock_guard lock(m_);
  bad_.clear();
}

void FaultySource::shrink(std::uint64_t after_bytes, std::uint64_t new_size) {
  std::lock_guard lock(m_);
  shrink_after_ = after_bytes;
  shrink_to_ = new_size;
}

std::size_t FaultySource::read_at(std::uint64_t offset, std::span<std::byte> out) {
  return read(offset, out, false);
}

std::size_t FaultySource::read_direct(std::uint64_t offset, std::span<std::byte> out) {
  ++direct_;
  return read(offset, out, true);
}

std::size_t FaultySource::read(std::uint64_t offset, std::span<std::byte> out, bool direct) {
  if (hook_) {
    hook_(offset);
  }
  if (delay_.count() > 0) {
    std::this_thread::sleep_for(delay_);
  }
  {
    std::lock_guard lock(m_);
    for (const auto &r : bad_) {
      if (offset < r.offset + r.length && r.offset < offset + out.size()) {
        ++failed_;
        throw SysError(describe(), "read at offset " + std::to_string(offset), EIO);
      }
    }
    if (read_.load() >= shrink_after_) {
      if (offset >= shrink_to_) {
        return 0;
      }
      out = out.first(
          static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), shrink_to_ - offset)));
    }
  }
  const std::size_t n = direct ? inner_.read_direct(offset, out) : inner_.read_at(offset, out);
  read_ += n;
  if (shared_ != nullptr) {
    *shared_ += n;
  }
  return n;
}

} // namespace kvmr::test
