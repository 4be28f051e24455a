// Aligned, reused copy buffers (see aligned_buffer.hpp).
#include "rescue/io/aligned_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace kvmr::io {
namespace {

constexpr std::size_t huge_page = std::size_t{2} << 20U;
constexpr std::size_t keep_at_most = std::size_t{64} << 20U;

std::size_t round_up(std::size_t v, std::size_t a) {
  return (v + a - 1) / a * a;
}

// BYTES (a multiple of the page size) of fresh anonymous memory aligned
// to ALIGN: mapped with room to spare, the spare unmapped.
std::byte *map_aligned(std::size_t bytes, std::size_t align) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t spare = align > page ? align : 0;
  const std::size_t span = bytes + spare;
  void *p = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    throw std::bad_alloc();
  }
  void *aligned = p;
  std::size_t space = span;
  std::align(align, bytes, aligned, space); // room enough: cannot fail
  auto *start = static_cast<std::byte *>(p);
  auto *first = static_cast<std::byte *>(aligned);
  std::byte *end = start + span;
  std::byte *last = first + bytes;
  if (first > start) {
    ::munmap(start, static_cast<std::size_t>(first - start));
  }
  if (end > last) {
    ::munmap(last, static_cast<std::size_t>(end - last));
  }
  if (bytes >= huge_page) {
    (void)::madvise(first, bytes, MADV_HUGEPAGE); // a hint: no THP, no harm
  }
  return first;
}

// Freed buffers, by mapped size and alignment, for the next ones.
class Kept {
public:
  static Kept &instance() {
    static Kept k;
    return k;
  }
  Kept(const Kept &) = delete;
  Kept &operator=(const Kept &) = delete;
  Kept(Kept &&) = delete;
  Kept &operator=(Kept &&) = delete;
  ~Kept() {
    for (const auto &k : free_) {
      ::munmap(k.ptr, k.mapped);
    }
  }

  std::byte *take(std::size_t mapped, std::size_t align) {
    std::lock_guard lock(m_);
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->mapped == mapped && it->align == align) {
        std::byte *p = it->ptr;
        free_.erase(it);
        bytes_ -= mapped;
        return p;
      }
    }
    return nullptr;
  }
  void give(std::byte *p, std::size_t mapped, std::size_t align) noexcept {
    {
      std::lock_guard lock(m_);
      if (bytes_ + mapped <= keep_at_most) {
        try {
          free_.push_back({p, mapped, align});
          bytes_ += mapped;
          return;
        } catch (const std::bad_alloc &) { // NOLINT(bugprone-empty-catch): unmapped below
        }
      }
    }
    ::munmap(p, mapped);
  }
  std::size_t bytes() {
    std::lock_guard lock(m_);
    return bytes_;
  }

private:
  Kept() = default;
  struct Buffer {
    std::byte *ptr;
    std::size_t mapped;
    std::size_t align;
  };
  std::mutex m_;
  std::vector<Buffer> free_;
  std::size_t bytes_ = 0;
};

} // namespace

AlignedBuffer::AlignedBuffer(std::size_t size, std::size_t alignment) : size_(size) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  align_ = size >= huge_page ? huge_page : std::max(alignment, page);
  mapped_ = round_up(std::max<std::size_t>(size, 1), size >= huge_page ? huge_page : page);
  ptr_ = Kept::instance().take(mapped_, align_);
  if (ptr_ == nullptr) {
    ptr_ = map_aligned(mapped_, align_);
  }
}

AlignedBuffer::AlignedBuffer(AlignedBuffer &&other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)), align_(std::exchange(other.align_, 0)) {
}

AlignedBuffer &AlignedBuffer::operator=(AlignedBuffer &&other) noexcept {
  if (this != &other) {
    release();
    ptr_ = std::exchange(other.ptr_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
    align_ = std::exchange(other.align_, 0);
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() {
  release();
}

void AlignedBuffer::release() noexcept {
  if (ptr_ != nullptr) {
    Kept::instance().give(ptr_, mapped_, align_);
    ptr_ = nullptr;
  }
}

std::size_t aligned_buffer_bytes_kept() {
  return Kept::instance().bytes();
}

} // namespace kvmr::io
