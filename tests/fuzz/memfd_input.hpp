// For fuzz targets whose reader takes a file descriptor (the FAT reader,
// the partition table): the input's bytes in an anonymous memory file, the
// smallest real seam (positional reads and fstat work on it as on an image).
#pragma once

#include "rescue/util/fd.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace kvmr::fuzz {

// A memfd holding DATA[0..SIZE), followed by zeros (a hole) up to LENGTH
// bytes when LENGTH is larger; aborts when the kernel refuses (that is the
// machine, not the input).
inline UniqueFd memfd_with(const std::uint8_t *data, std::size_t size, std::size_t length = 0) {
  UniqueFd fd(memfd_create("kvmr-fuzz", MFD_CLOEXEC));
  if (!fd.valid()) {
    std::abort();
  }
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd.get(), data + done, size - done);
    if (n <= 0) {
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
  if (length > size && ::ftruncate(fd.get(), static_cast<off_t>(length)) != 0) {
    std::abort();
  }
  return fd;
}

} // namespace kvmr::fuzz
