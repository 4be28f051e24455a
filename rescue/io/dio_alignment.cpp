// Direct-I/O alignment (see dio_alignment.hpp).
#include "rescue/io/dio_alignment.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <algorithm>

namespace kvmr::io {

std::optional<DioAlignment> dio_alignment(int fd) {
  DioAlignment a;
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
      (sx.stx_mask & STATX_DIOALIGN) != 0U) {
    if (sx.stx_dio_offset_align == 0) { // "direct I/O is not supported"
      return std::nullopt;
    }
    a.offset = sx.stx_dio_offset_align;
    a.memory = std::max<std::uint32_t>(sx.stx_dio_mem_align, 1);
    return a;
  }
  struct stat st {};
  int sector = 0;
  if (::fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && ::ioctl(fd, BLKSSZGET, &sector) == 0 &&
      sector > 0) {
    a.offset = static_cast<std::uint32_t>(sector);
    a.memory = a.offset;
  }
  return a;
}

} // namespace kvmr::io
