// libFuzzer target for the read-only FAT reader (rescue/disk/fat.hpp): any
// bytes as an EFI system partition; the boot sector is either refused with
// InputError or the tree is walked (a bounded number of directories and
// entries, the way the boot diagnosis looks for EFI/<vendor>/grub.cfg) and
// every file read, each damage again an InputError, never a crash or hang.
// The volume is the input followed by zeros up to the size its boot sector
// claims (at most 64 MiB, a hole in a memory file), so that FAT16 and FAT32
// layouts, which need thousands of clusters, are reachable from a small
// input holding their first sectors.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./fat_fuzz corpus/fat
#include "fuzz/memfd_input.hpp"
#include "rescue/disk/fat.hpp"
#include "rescue/util/error.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using kvmr::disk::fat::FatVolume;

constexpr int kMaxDepth = 4;
constexpr std::size_t kMaxVolume = std::size_t{64} << 20U;

// The volume size the BPB claims (total sectors times bytes per sector),
// capped; 0 when the input is shorter than a boot sector.
std::size_t claimed_size(const std::uint8_t *data, std::size_t size) {
  if (size < 512) {
    return 0;
  }
  const auto le = [data](std::size_t off, int n) {
    std::size_t v = 0;
    for (int i = n - 1; i >= 0; --i) {
      v = (v << 8U) | data[off + static_cast<std::size_t>(i)];
    }
    return v;
  };
  const std::size_t sectors = le(19, 2) != 0 ? le(19, 2) : le(32, 4);
  const std::size_t sector_bytes = le(11, 2);
  if (sector_bytes == 0 || sectors > kMaxVolume / sector_bytes) {
    return 0;
  }
  return sectors * sector_bytes;
}
constexpr std::uint64_t kMaxFile = std::uint64_t{1} << 20U;

// Visits DIR and below; BUDGET bounds the entries looked at in all.
void walk(const FatVolume &vol, const std::string &dir, int depth, int &budget) {
  std::vector<kvmr::disk::fat::Entry> entries;
  try {
    entries = vol.list(dir);
  } catch (const kvmr::InputError &) {
    return;
  }
  for (const auto &e : entries) {
    if (--budget < 0) {
      return;
    }
    const std::string path = dir + (dir == "/" ? "" : "/") + e.name;
    try {
      const auto st = vol.stat(path);
      if (!e.is_dir) {
        const auto bytes = vol.read_file(path, kMaxFile);
        if (bytes.size() > kMaxFile) {
          std::abort();
        }
      } else if (st && st->is_dir && depth < kMaxDepth) {
        walk(vol, path, depth + 1, budget);
      }
    } catch (const kvmr::InputError &) {
      // a damaged entry: refused, the walk goes on
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::size_t length = std::max(size, claimed_size(data, size));
  const kvmr::UniqueFd fd = kvmr::fuzz::memfd_with(data, size, length);
  try {
    const FatVolume vol(fd.get(), "fuzz.img", 0, length);
    if (vol.geometry().fs_bytes > length || vol.geometry().cluster_bytes == 0) {
      std::abort();
    }
    int budget = 64;
    walk(vol, "/", 0, budget);
    (void)vol.exists("/EFI/BOOT/BOOTX64.EFI");
  } catch (const kvmr::InputError &) {
    // refused: not a usable FAT boot sector
  }
  return 0;
}
