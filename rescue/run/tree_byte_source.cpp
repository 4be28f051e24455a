// A SourceTree file as a ByteSource (see tree_byte_source.hpp).
#include "rescue/run/tree_byte_source.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

namespace kvmr::run {

TreeByteSource::TreeByteSource(io::SourceTree &tree, std::string path)
    : tree_(tree), path_(std::move(path)) {
  const auto st = tree_.lstat(path_);
  if (!st) {
    throw InputError(path_ + ": does not exist on the old host");
  }
  if (st->type != io::FileType::regular) {
    throw InputError(path_ + ": not a regular file on the old host");
  }
  size_ = st->size;
}

std::size_t TreeByteSource::read_at(std::uint64_t offset, std::span<std::byte> out) {
  std::size_t done = 0;
  while (done < out.size() && offset + done < size_) {
    std::string got;
    try {
      got = tree_.read_range(path_, offset + done, out.size() - done);
    } catch (const std::exception &e) {
      throw SysError(fmt::format("{} at offset {}", path_, offset + done),
                     fmt::format("read ({})", e.what()), EIO);
    }
    if (got.empty()) {
      break; // the file ended early: the engine reports SourceChanged
    }
    const std::size_t n = std::min(got.size(), out.size() - done);
    std::memcpy(out.data() + done, got.data(), n);
    done += n;
  }
  return done;
}

} // namespace kvmr::run
