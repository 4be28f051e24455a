// fuse_eio_file: test-only FUSE server that stands in for a disk with
// unreadable sectors. It serves IMAGE, read-only, as MOUNTPOINT/disk;
// every read that touches [BAD_OFFSET, BAD_OFFSET+BAD_LENGTH) fails with
// EIO, as a disk's read of bad sectors does. Files are opened direct_io,
// so each read the kernel makes reaches this server with its own offset
// and length and fails or succeeds on its own (no page cache in between).
//
//   fuse_eio_file IMAGE BAD_OFFSET BAD_LENGTH MOUNTPOINT [-f] [-o OPT]...
//
// The options after MOUNTPOINT go to libfuse (-f: stay in the foreground).
// Unmount with `fusermount3 -u MOUNTPOINT`. Prints the number of failed
// reads to stderr on exit.
#define FUSE_USE_VERSION 31
#include <fuse.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Served {
  int fd = -1;
  std::uint64_t size = 0;
  std::uint64_t bad_offset = 0;
  std::uint64_t bad_length = 0;
  std::atomic<std::uint64_t> failed{0};
};

Served g; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables): libfuse callbacks

constexpr const char *kName = "/disk";

int do_getattr(const char *path, struct stat *st, fuse_file_info * /*fi*/) {
  *st = {};
  if (std::strcmp(path, "/") == 0) {
    st->st_mode = S_IFDIR | 0555;
    st->st_nlink = 2;
    return 0;
  }
  if (std::strcmp(path, kName) == 0) {
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(g.size);
    return 0;
  }
  return -ENOENT;
}

int do_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t /*off*/,
               fuse_file_info * /*fi*/, fuse_readdir_flags /*flags*/) {
  if (std::strcmp(path, "/") != 0) {
    return -ENOENT;
  }
  fill(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  fill(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  fill(buf, kName + 1, nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  return 0;
}

int do_open(const char *path, fuse_file_info *fi) {
  if (std::strcmp(path, kName) != 0) {
    return -ENOENT;
  }
  if ((fi->flags & O_ACCMODE) != O_RDONLY) {
    return -EROFS;
  }
  fi->direct_io = 1;
  fi->keep_cache = 0;
  return 0;
}

int do_read(const char *path, char *buf, size_t size, off_t off, fuse_file_info * /*fi*/) {
  if (std::strcmp(path, kName) != 0) {
    return -ENOENT;
  }
  const auto at = static_cast<std::uint64_t>(off);
  if (at < g.bad_offset + g.bad_length && g.bad_offset < at + size) {
    ++g.failed;
    return -EIO;
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(g.fd, buf + done, size - done, off + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -errno;
    }
    if (n == 0) {
      break;
    }
    done += static_cast<size_t>(n);
  }
  return static_cast<int>(done);
}

void do_destroy(void * /*private_data*/) {
  std::fprintf(stderr, "fuse_eio_file: %llu reads failed with EIO\n",
               static_cast<unsigned long long>(g.failed.load()));
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    std::fputs("usage: fuse_eio_file IMAGE BAD_OFFSET BAD_LENGTH MOUNTPOINT [FUSE OPTIONS]\n",
               stderr);
    return 2;
  }
  g.fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  if (g.fd < 0) {
    std::perror(argv[1]);
    return 1;
  }
  struct stat st {};
  if (::fstat(g.fd, &st) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  g.size = static_cast<std::uint64_t>(st.st_size);
  g.bad_offset = std::stoull(argv[2]);
  g.bad_length = std::stoull(argv[3]);

  fuse_operations ops{};
  ops.getattr = do_getattr;
  ops.readdir = do_readdir;
  ops.open = do_open;
  ops.read = do_read;
  ops.destroy = do_destroy;

  std::vector<char *> args{argv[0]};
  for (int i = 4; i < argc; ++i) {
    args.push_back(argv[i]);
  }
  return fuse_main(static_cast<int>(args.size()), args.data(), &ops, nullptr);
}
