// A move-only owner of a file descriptor, and whole-buffer positional reads.
// Read-only is the default: opening for writing is a separate, explicit call
// that the disk-probing code never makes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kvmr {

class UniqueFd {
public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
  UniqueFd &operator=(UniqueFd &&other) noexcept;
  ~UniqueFd();

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept;
  // Closes now and reports a failing close() (the destructor cannot).
  void close(const std::string &path);

private:
  int fd_ = -1;
};

// Opens PATH read-only (O_RDONLY|O_CLOEXEC, plus EXTRA flags such as
// O_DIRECT). Throws SysError naming PATH.
UniqueFd open_read_only(const std::string &path, int extra_flags = 0);

// Reads up to buf.size() bytes at OFFSET, retrying short reads and EINTR.
// Returns the number of bytes read (less only at end of file). Throws
// SysError naming PATH on an I/O error.
std::size_t read_at(int fd, const std::string &path, std::span<std::byte> buf,
                    std::uint64_t offset);

// Reads exactly LEN bytes at OFFSET; fewer bytes (end of file) yield a
// shorter vector.
std::vector<std::byte> read_bytes(int fd, const std::string &path, std::uint64_t offset,
                                  std::size_t len);

} // namespace kvmr
