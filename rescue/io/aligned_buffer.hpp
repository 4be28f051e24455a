// Large buffers aligned for O_DIRECT: the copy engine's chunks and
// DirectReader's bounce buffer. Two things make
// them cheap where fresh memory is dear (on this project's VMs the first
// touch of a page costs several microseconds: the buffers of one
// copy_item, 32 MiB, took some 25,000 page faults, about a quarter of
// what scripts/bench-copy measured):
// - 2 MiB or more: aligned to 2 MiB and marked MADV_HUGEPAGE, so the
//   kernel can back them with huge pages (one fault per 2 MiB) where
//   transparent huge pages are enabled, "always" or "madvise";
// - a freed buffer is kept for the next one of the same size (process-
//   wide, up to 64 MiB), so the next item's pipelines start with memory
//   already touched.
#pragma once

#include <cstddef>
#include <span>

namespace kvmr::io {

class AlignedBuffer {
public:
  AlignedBuffer() = default;
  // SIZE bytes aligned to ALIGNMENT (a power of two, at most 2 MiB) or
  // more; their content is unspecified. Throws std::bad_alloc.
  explicit AlignedBuffer(std::size_t size, std::size_t alignment = 4096);
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  AlignedBuffer(AlignedBuffer &&other) noexcept;
  AlignedBuffer &operator=(AlignedBuffer &&other) noexcept;
  ~AlignedBuffer();

  [[nodiscard]] std::span<std::byte> span() const { return {ptr_, size_}; }

private:
  void release() noexcept;

  std::byte *ptr_ = nullptr;
  std::size_t size_ = 0;   // asked for
  std::size_t mapped_ = 0; // mapped: SIZE rounded up to pages or 2 MiB
  std::size_t align_ = 0;
};

// Bytes of freed buffers kept for reuse, now.
std::size_t aligned_buffer_bytes_kept();

} // namespace kvmr::io
