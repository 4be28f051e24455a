// MountedTree: confined reads through openat2(RESOLVE_IN_ROOT).
#include "rescue/volume/mounted_tree.hpp"

#include "rescue/util/error.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <string_view>

namespace kvmr::volume {

using io::DirEntry;
using io::FileStat;
using io::FileType;

namespace {

// PATH relative to the tree's root, written tidily: "//", "/./" and a
// trailing "/" collapsed ("/var//lib/./libvirt/images/" ->
// "var/lib/libvirt/images"), so that the last name is never empty. ".." is
// kept: openat2 resolves it inside the root, after the symlinks before it.
std::string relative(const std::string &path) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    const std::string_view part = std::string_view(path).substr(pos, end - pos);
    if (!part.empty() && part != ".") {
      if (!out.empty()) {
        out += '/';
      }
      out += part;
    }
    pos = end + 1;
  }
  return out.empty() ? std::string(".") : out;
}

FileType type_of(mode_t m) {
  if (S_ISREG(m)) {
    return FileType::regular;
  }
  if (S_ISDIR(m)) {
    return FileType::directory;
  }
  if (S_ISLNK(m)) {
    return FileType::symlink;
  }
  if (S_ISBLK(m)) {
    return FileType::block_device;
  }
  return FileType::other;
}

struct DirCloser {
  void operator()(DIR *d) const noexcept { ::closedir(d); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX *c) const noexcept { EVP_MD_CTX_free(c); }
};

std::pair<std::string, std::string> split_parent(const std::string &rel) {
  const auto slash = rel.rfind('/');
  if (slash == std::string::npos) {
    return {".", rel};
  }
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

} // namespace

MountedTree::MountedTree(std::string root_dir)
    : root_dir_(std::move(root_dir)), root_(open_read_only(root_dir_, O_DIRECTORY | O_PATH)) {
}

UniqueFd MountedTree::open_in(const std::string &path, int flags, bool follow_last) const {
  open_how how{};
  const int all = flags | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW);
  how.flags = static_cast<__u64>(static_cast<unsigned>(all));
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string rel = relative(path);
  const long fd = ::syscall(SYS_openat2, root_.get(), rel.c_str(), &how, sizeof how);
  if (fd < 0) {
    throw SysError(root_dir_ + "/" + rel, "open inside the old host's tree", errno);
  }
  return UniqueFd(static_cast<int>(fd));
}

std::optional<FileStat> MountedTree::lstat(const std::string &path) {
  const std::string rel = relative(path);
  auto [parent, name] = split_parent(rel);
  if (name == "..") {
    // Never fstatat(dir, ".."): at the root that is the rescue system's
    // directory above it. The whole path resolves inside the root instead.
    parent = rel;
    name = ".";
  }
  UniqueFd dir;
  try {
    dir = open_in(parent, O_PATH | O_DIRECTORY);
  } catch (const SysError &e) {
    if (e.error_code() == ENOENT || e.error_code() == ENOTDIR) {
      return std::nullopt;
    }
    throw;
  }
  struct stat st {};
  const int flags = AT_SYMLINK_NOFOLLOW | (name == "." ? AT_EMPTY_PATH : 0);
  if (::fstatat(dir.get(), name == "." ? "" : name.c_str(), &st, flags) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return std::nullopt;
    }
    throw SysError(root_dir_ + path, "stat", errno);
  }
  FileStat fs;
  fs.type = type_of(st.st_mode);
  fs.size = static_cast<std::uint64_t>(st.st_size);
  fs.allocated = static_cast<std::uint64_t>(st.st_blocks) * 512U;
  fs.mode = st.st_mode & 07777U;
  fs.uid = st.st_uid;
  fs.gid = st.st_gid;
  return fs;
}

// PATH opened read-only, refusing anything but a regular file; its size.
std::pair<UniqueFd, std::uint64_t> MountedTree::open_regular(const std::string &path) const {
  UniqueFd fd = open_in(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw SysError(path, "stat", errno);
  }
  if (!S_ISREG(st.st_mode)) {
    throw InputError(path + ": not a regular file");
  }
  return {std::move(fd), static_cast<std::uint64_t>(st.st_size)};
}

std::string MountedTree::read_file(const std::string &path, std::uint64_t max_bytes) {
  const auto [fd, size] = open_regular(path);
  if (size > max_bytes) {
    throw InputError(path + ": " + std::to_string(size) + " bytes, more than the " +
                     std::to_string(max_bytes) + " this reader accepts");
  }
  std::string out(static_cast<std::size_t>(size), '\0');
  const std::size_t n =
      read_at(fd.get(), path, std::as_writable_bytes(std::span<char>(out.data(), out.size())), 0);
  out.resize(n);
  return out;
}

std::string MountedTree::read_range(const std::string &path, std::uint64_t offset,
                                    std::uint64_t length) {
  const auto [fd, size] = open_regular(path);
  if (offset >= size) {
    return {};
  }
  std::string out(static_cast<std::size_t>(std::min(length, size - offset)), '\0');
  const std::size_t n = read_at(
      fd.get(), path, std::as_writable_bytes(std::span<char>(out.data(), out.size())), offset);
  out.resize(n);
  return out;
}

std::vector<DirEntry> MountedTree::list(const std::string &dir) {
  UniqueFd fd = open_in(dir, O_RDONLY | O_DIRECTORY);
  std::unique_ptr<DIR, DirCloser> d(::fdopendir(fd.get()));
  if (!d) {
    throw SysError(dir, "list directory", errno);
  }
  fd.release(); // now owned by the DIR stream
  std::vector<DirEntry> out;
  while (const dirent *e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    struct stat st {};
    FileType t = FileType::other;
    if (::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      t = type_of(st.st_mode);
    }
    out.push_back({name, t});
  }
  std::sort(out.begin(), out.end(),
            [](const DirEntry &a, const DirEntry &b) { return a.name < b.name; });
  return out;
}

std::string MountedTree::readlink(const std::string &path) {
  const auto [parent, name] = split_parent(relative(path));
  if (name == "." || name == "..") {
    throw SysError(path, "readlink", EINVAL);
  }
  UniqueFd dir = open_in(parent, O_PATH | O_DIRECTORY);
  std::array<char, 4096> buf{};
  const ssize_t n = ::readlinkat(dir.get(), name.c_str(), buf.data(), buf.size());
  if (n < 0) {
    throw SysError(path, "readlink", errno);
  }
  return {buf.data(), static_cast<std::size_t>(n)};
}

std::string MountedTree::sha256(const std::string &path) {
  UniqueFd fd = open_in(path, O_RDONLY);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw InputError("OpenSSL: SHA-256 unavailable");
  }
  std::vector<std::byte> buf(1U << 20U);
  std::uint64_t off = 0;
  for (;;) {
    const std::size_t n = read_at(fd.get(), path, buf, off);
    if (n == 0) {
      break;
    }
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    off += n;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md.data(), &len);
  static constexpr std::array<char, 16> hex{'0', '1', '2', '3', '4', '5', '6', '7',
                                            '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4U];
    out += hex[md[i] & 0x0FU];
  }
  return out;
}

std::string MountedTree::describe() const {
  return "kernel read-only mounts under " + root_dir_;
}

} // namespace kvmr::volume
