// A small read-only FAT12/16/32 reader, so the boot diagnosis can look
// inside a dead host's EFI system partition (EFI/<vendor>/shimx64.efi,
// grubx64.efi, grub.cfg, EFI/BOOT/BOOTX64.EFI) on a kernel without vfat.
// Everything is read with positional reads on an already open read-only
// descriptor: nothing is written, mounted or mapped. Layout and rules as in
// Microsoft's "FAT: General Overview of On-Disk Format" (FAT type decided by
// the cluster count) and its long file name extension. Damaged structures
// (a bad boot sector, a cluster chain that loops, runs into a free cluster
// or points past the end) throw InputError naming the path and byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::disk::fat {

enum class FatType { fat12, fat16, fat32 };

const char *to_string(FatType t) noexcept;

// What the boot sector (BPB) says, after validation.
struct Geometry {
  FatType type = FatType::fat12;
  std::uint32_t bytes_per_sector = 0;
  std::uint32_t cluster_bytes = 0;
  std::uint32_t cluster_count = 0; // data clusters, numbered 2..cluster_count+1
  std::uint64_t fat_offset = 0;    // byte offset of the FAT in use, from the volume start
  std::uint64_t data_offset = 0;   // byte offset of cluster 2, from the volume start
  std::uint64_t fs_bytes = 0;      // total sectors * bytes per sector
  std::uint32_t serial = 0;        // volume serial number (0 when not recorded)
  std::string label;               // from the BPB, trailing blanks removed (may be empty)
};

// One directory entry.
struct Entry {
  std::string name;       // the long name (UTF-8) when present, else the 8.3 name
  std::string short_name; // the 8.3 name as stored ("GRUBX64.EFI"), with case flags applied
  bool is_dir = false;
  std::uint8_t attributes = 0;
  std::uint32_t size = 0;          // bytes (0 for directories)
  std::uint32_t first_cluster = 0; // 0 for an empty file (and for the FAT12/16 root)
};

// A FAT volume on FD (not owned; it must stay open while the volume is
// used), starting OFFSET bytes into it and SIZE bytes long (the partition).
// PATH names the device or image in messages. Paths inside the volume use
// '/' and are looked up case-insensitively (ASCII letters); empty components
// are ignored, so "/EFI/centos", "EFI/CENTOS/" and "//efi//centos" are the
// same directory. Not safe for concurrent use (it caches a piece of the FAT).
class FatVolume {
public:
  // Reads and validates the boot sector. Throws InputError when it is not a
  // usable FAT boot sector or claims more than SIZE bytes; SysError on I/O.
  FatVolume(int fd, std::string path, std::uint64_t offset, std::uint64_t size);

  [[nodiscard]] const Geometry &geometry() const noexcept { return geo_; }

  // The entries of the directory at DIR_PATH ("/" is the root), in on-disk
  // order, without deleted entries, the volume label, "." and "..". Throws
  // InputError when DIR_PATH does not exist, is a file, or is damaged.
  [[nodiscard]] std::vector<Entry> list(std::string_view dir_path) const;

  // The entry at PATH; nullopt when it (or a directory above it) does not
  // exist or a component above it is a file. "/" gives the root directory.
  // Throws InputError for damaged directories on the way.
  [[nodiscard]] std::optional<Entry> stat(std::string_view path) const;
  [[nodiscard]] bool exists(std::string_view path) const { return stat(path).has_value(); }

  // The contents of the file at PATH. Throws InputError when it does not
  // exist, is a directory, is larger than MAX_BYTES, or its cluster chain is
  // damaged.
  [[nodiscard]] std::vector<std::byte> read_file(std::string_view path,
                                                 std::uint64_t max_bytes) const;

private:
  struct Located {
    Entry entry;
    bool root = true;
    std::string where = "/"; // the path as found, for messages
  };
  [[nodiscard]] std::optional<Located> locate(std::string_view path) const;
  [[noreturn]] void fail(const std::string &what, const std::string &problem) const;
  [[nodiscard]] std::uint32_t fat_entry(std::uint32_t cluster) const;
  [[nodiscard]] std::vector<std::uint32_t> chain(std::uint32_t first, std::size_t limit,
                                                 bool stop_at_limit, const std::string &what) const;
  [[nodiscard]] std::vector<std::byte> read_clusters(const std::vector<std::uint32_t> &clusters,
                                                     const std::string &what) const;
  [[nodiscard]] std::vector<Entry> read_dir(const Located &dir) const;
  [[nodiscard]] std::vector<Entry> parse_dir(std::span<const std::byte> raw) const;
  void read_exact(std::uint64_t at, std::span<std::byte> buf, const std::string &what) const;

  int fd_;
  std::string path_;
  std::uint64_t offset_;
  std::uint64_t size_;
  Geometry geo_;
  std::uint32_t root_entries_ = 0; // FAT12/16: entries of the fixed root directory
  std::uint64_t root_offset_ = 0;  // FAT12/16: byte offset of the fixed root directory
  std::uint32_t root_cluster_ = 0; // FAT32: first cluster of the root directory
  std::uint64_t fat_bytes_ = 0;    // size of one FAT
  mutable std::vector<std::byte> fat_cache_;
  mutable std::uint64_t fat_cache_start_ = 0;
};

} // namespace kvmr::disk::fat
