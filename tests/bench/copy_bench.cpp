// kvmr-copy-bench: copies every regular file under SRC_DIR to the same
// relative path under DST_DIR with the copy engine (sparse, hashed,
// verified, metadata kept), for scripts/bench-copy. Prints one line of
// totals: copy and verify seconds, bytes read, bytes allocated.
//   kvmr-copy-bench [--sha256] [--buffered-read] [--buffered-write] [--buffered-verify]
//                   [--verify-after] [--source-rate MB/s] SRC_DIR DST_DIR
// The options set CopyOptions::hash, direct_read, direct_write,
// direct_verify and overlap_verify, to compare the ways of reading,
// writing and verifying;
// --source-rate reads the source no faster than that (as --max-rate does),
// standing in for an old disk slower than the new one.
#include "rescue/copy/copy_item.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "rescue/run/throttle.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  kvmr::copy::CopyOptions opt;
  std::uint64_t rate = 0; // bytes/s; 0: as fast as it goes
  while (!args.empty() && args.front().starts_with("--")) {
    if (args.front() == "--sha256") {
      opt.hash = kvmr::copy::HashKind::sha256;
    } else if (args.front() == "--buffered-read") {
      opt.direct_read = false;
    } else if (args.front() == "--buffered-write") {
      opt.direct_write = false;
    } else if (args.front() == "--buffered-verify") {
      opt.direct_verify = false;
    } else if (args.front() == "--verify-after") {
      opt.overlap_verify = false;
    } else if (args.front() == "--source-rate" && args.size() > 1) {
      args.erase(args.begin());
      rate = std::stoull(args.front()) * 1000 * 1000;
    } else {
      break;
    }
    args.erase(args.begin());
  }
  if (args.size() != 2) {
    (void)std::fputs("usage: kvmr-copy-bench [--sha256] [--buffered-read] [--buffered-write] "
                     "[--buffered-verify] [--verify-after] [--source-rate MB/s] SRC_DIR DST_DIR\n",
                     stderr);
    return 2;
  }
  const fs::path src_dir = args[0];
  const fs::path dst_dir = args[1];
  double copy_s = 0;
  double verify_s = 0;
  std::uint64_t read = 0;
  std::uint64_t allocated = 0;
  std::uint64_t apparent = 0;
  try {
    for (const auto &entry : fs::recursive_directory_iterator(src_dir)) {
      const auto rel = fs::relative(entry.path(), src_dir);
      if (entry.is_directory()) {
        fs::create_directories(dst_dir / rel);
        continue;
      }
      if (!entry.is_regular_file()) {
        continue;
      }
      kvmr::io::FileByteSource file(entry.path().string());
      std::optional<kvmr::run::ThrottledByteSource> slow;
      if (rate != 0) {
        slow.emplace(file, rate);
      }
      kvmr::io::ByteSource &src = slow ? static_cast<kvmr::io::ByteSource &>(*slow) : file;
      opt.metadata_from = entry.path().string();
      const auto r = kvmr::copy::copy_item(src, (dst_dir / rel).string(), opt, nullptr);
      copy_s += r.copy_seconds;
      verify_s += r.verify_seconds;
      read += r.bytes_read;
      allocated += r.allocated_bytes;
      apparent += r.size;
      (void)std::fputs(
          fmt::format("{} {} {}\n", rel.string(), kvmr::copy::hash_kind_name(r.hash_kind), r.hash)
              .c_str(),
          stderr);
    }
  } catch (const std::exception &e) {
    (void)std::fputs(fmt::format("kvmr-copy-bench: {}\n", e.what()).c_str(), stderr);
    return 1;
  }
  (void)std::fputs(fmt::format("copy_s={:.3f} verify_s={:.3f} read={} allocated={} apparent={}\n",
                               copy_s, verify_s, read, allocated, apparent)
                       .c_str(),
                   stdout);
  return 0;
}
