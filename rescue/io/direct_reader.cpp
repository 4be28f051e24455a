// Direct-I/O reads with a buffered fallback (see direct_reader.hpp).
#include "rescue/io/direct_reader.hpp"

#include "rescue/io/dio_alignment.hpp"
#include "rescue/util/error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kvmr::io {
namespace {

// Bytes per bounce-buffer read: a failed read is split further anyway.
constexpr std::size_t kPiece = std::size_t{1} << 20U;

// Thrown inside a read when the kernel refuses direct I/O (EINVAL).
struct DirectRefused {};

std::uint64_t round_down(std::uint64_t v, std::uint64_t a) {
  return v / a * a;
}

std::uint64_t round_up(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) / a * a;
}

} // namespace

DirectReader::DirectReader(std::string path, std::uint32_t assumed_alignment)
    : path_(std::move(path)), assumed_(assumed_alignment) {
}

DirectReader::~DirectReader() = default;

bool DirectReader::direct() const {
  std::lock_guard lock(m_);
  return state_ == State::direct;
}

std::uint32_t DirectReader::alignment() const {
  std::lock_guard lock(m_);
  return align_;
}

void DirectReader::open_locked() {
  state_ = State::buffered;
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT));
  if (!fd.valid()) {
    if (errno == EINVAL) { // the filesystem has no direct I/O
      return;
    }
    throw SysError(path_, "open read-only with O_DIRECT", errno);
  }
  if (assumed_ != 0) {
    align_ = assumed_;
    mem_align_ = assumed_;
  } else if (const auto a = dio_alignment(fd.get())) {
    align_ = a->offset;
    mem_align_ = a->memory;
  } else {
    return;
  }
  fd_ = std::move(fd);
  state_ = State::direct;
}

std::span<std::byte> DirectReader::bounce_locked(std::size_t size) {
  if (bounce_.span().size() < size) {
    const std::size_t a = std::max<std::size_t>(mem_align_, 4096);
    bounce_ = AlignedBuffer(static_cast<std::size_t>(round_up(size, a)), a);
  }
  return bounce_.span().first(size);
}

std::size_t DirectReader::read_direct_locked(std::uint64_t offset, std::span<std::byte> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t at = offset + done;
    const std::size_t want = out.size() - done;
    std::byte *dst = out.data() + done;
    const bool aligned = at % align_ == 0 && want >= align_ &&
                         reinterpret_cast<std::uintptr_t>(dst) % mem_align_ == 0;
    // Straight into OUT when it allows; else an aligned window through
    // the bounce buffer, of which [HEAD, HEAD+PART) is wanted.
    std::uint64_t start = at;
    std::size_t head = 0;
    std::size_t part = 0;
    std::span<std::byte> buf;
    if (aligned) {
      part = static_cast<std::size_t>(round_down(want, align_));
      buf = {dst, part};
    } else {
      start = round_down(at, align_);
      head = static_cast<std::size_t>(at - start);
      part = std::min(want, kPiece);
      buf = bounce_locked(static_cast<std::size_t>(round_up(head + part, align_)));
    }
    const ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), static_cast<off_t>(start));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EINVAL) {
        throw DirectRefused{};
      }
      throw SysError(path_, "read (direct) at offset " + std::to_string(at), errno);
    }
    const auto got = static_cast<std::size_t>(n) > head
                         ? std::min(static_cast<std::size_t>(n) - head, part)
                         : std::size_t{0};
    if (got == 0) { // the file ends
      break;
    }
    if (!aligned) {
      std::memcpy(dst, buf.data() + head, got);
    }
    done += got;
  }
  return done;
}

std::size_t DirectReader::read(int buffered_fd, std::uint64_t offset, std::span<std::byte> out) {
  std::lock_guard lock(m_);
  if (state_ == State::unopened) {
    open_locked();
  }
  if (state_ == State::direct) {
    try {
      return read_direct_locked(offset, out);
    } catch (const DirectRefused &) {
      state_ = State::buffered; // and read this one buffered, from the start
      fd_ = UniqueFd();
    }
  }
  return kvmr::read_at(buffered_fd, path_, out, offset);
}

} // namespace kvmr::io
