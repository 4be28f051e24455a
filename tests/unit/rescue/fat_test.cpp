// The read-only FAT reader on FAT12, FAT16, FAT32 and 4K-sector images made
// by the real mkfs.vfat and filled by mtools (one of them at an offset, as
// the ESP of a disk), then on damaged copies: every damage must give an
// InputError, never a crash or a hang, and no image is ever written.
#include "rescue/disk/fat.hpp"
#include "rescue/util/bytes.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"
#include "unit/rescue/test_util.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <set>
#include <utility>

using namespace kvmr;            // NOLINT(google-build-using-namespace)
using namespace kvmr::disk::fat; // NOLINT(google-build-using-namespace)

namespace {

constexpr const char *kLongName = "Grub Config Backup - Mixed Case.cfg";
constexpr const char *kJapaneseName = "起動設定ファイル.txt";
constexpr int kManyFiles = 150; // with long names: 450 directory entries, 14400 bytes
constexpr std::size_t kBigSize = 300000;
constexpr std::uint64_t kMiB = 1024ULL * 1024;

bool have_tools() {
  if (!test::have("mkfs.vfat") || !test::have("mcopy") || !test::have("mmd")) {
    test::skip("mkfs.vfat or mtools not installed (apt-get install dosfstools mtools)");
    return false;
  }
  return true;
}

std::vector<std::byte> slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::ranges::transform(chars, out.begin(), [](char c) { return static_cast<std::byte>(c); });
  return out;
}

// Overwrites bytes of the file PATH at OFFSET (to damage a copy).
void patch(const std::string &path, std::uint64_t offset, const std::vector<std::uint8_t> &bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekp(static_cast<std::streamoff>(offset));
  for (const auto b : bytes) {
    f.put(static_cast<char>(b));
  }
  REQUIRE(f);
}

std::vector<std::uint8_t> le_bytes(std::uint32_t v, std::size_t n) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  return out;
}

std::string many_name(int i) {
  return fmt::format("entry number {:03} of many.txt", i);
}

// The files copied onto every image, in a temporary directory.
struct Source {
  test::TempDir dir;
  Source() {
    test::sh("cd " + dir.path().string() +
             " && head -c 1234 /dev/urandom > shim && head -c 5000 /dev/urandom > grub"
             " && printf 'set timeout=5\\nmenuentry CentOS {}\\n' > cfg"
             " && head -c 777 /dev/urandom > boot && echo long > long && echo jp > jp"
             " && head -c " +
             std::to_string(kBigSize) +
             " /dev/urandom > big && mkdir many"
             " && for i in $(seq 0 " +
             std::to_string(kManyFiles - 1) +
             "); do printf 'file %d\\n' $i > \"many/$(printf 'entry number %03d of many.txt' "
             "$i)\"; done");
  }
  [[nodiscard]] std::string operator/(const std::string &name) const { return dir / name; }
};

// Copies SRC onto the FAT filesystem at byte OFFSET of IMG with mtools.
// Returns false when mtools could not store the Japanese name.
bool populate(const Source &src, const std::string &img, std::uint64_t offset) {
  const std::string i = "-i '" + img + "@@" + std::to_string(offset) + "' ";
  const std::string s = src.dir.path().string() + "/";
  test::sh("export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8; mmd " + i +
           "::/EFI ::/EFI/centos ::/EFI/BOOT ::/many && mcopy " + i + s +
           "shim ::/EFI/centos/shimx64.efi && mcopy " + i + s +
           "grub ::/EFI/centos/grubx64.efi && mcopy " + i + s +
           "cfg ::/EFI/centos/grub.cfg && mcopy " + i + s +
           "boot ::/EFI/BOOT/BOOTX64.EFI && mcopy " + i + s + "big ::/big.bin && mcopy " + i + s +
           "long '::/" + kLongName + "' && mcopy " + i + s + "many/* ::/many/ && rm -f " + s +
           "jp.ok && if mcopy " + i + s + "jp '::/" + kJapaneseName + "'; then touch " + s +
           "jp.ok; fi");
  return std::filesystem::exists(src / "jp.ok");
}

std::set<std::string> names(const std::vector<Entry> &entries) {
  std::set<std::string> out;
  for (const auto &e : entries) {
    out.insert(e.name);
  }
  return out;
}

// Everything a populated image must show, read through FatVolume.
void check_volume(const Source &src, const std::string &img, std::uint64_t offset,
                  std::uint64_t size, FatType type, bool japanese) {
  const std::string before = test::sha256_of(img);
  auto fd = open_read_only(img);
  const FatVolume v(fd.get(), img, offset, size);
  const Geometry &g = v.geometry();
  CHECK(g.type == type);
  INFO(to_string(g.type) << ", " << g.cluster_count << " clusters of " << g.cluster_bytes);

  const auto root = names(v.list("/"));
  CHECK(root.count("EFI") == 1);
  CHECK(root.count("many") == 1);
  CHECK(root.count("big.bin") == 1);
  CHECK(root.count(kLongName) == 1);
  if (japanese) {
    CHECK(root.count(kJapaneseName) == 1);
    CHECK(v.read_file(std::string("/") + kJapaneseName, 100) == slurp(src / "jp"));
  } else {
    // mtools' doing, not the reader's: the rest is still checked.
    test::skip("mtools could not store a Japanese file name here (no C.UTF-8 locale?)");
  }

  CHECK(names(v.list("/EFI")) == std::set<std::string>{"centos", "BOOT"});
  CHECK(names(v.list("/EFI/centos")) ==
        std::set<std::string>{"shimx64.efi", "grubx64.efi", "grub.cfg"});
  CHECK(names(v.list("EFI/CENTOS/")) == names(v.list("//efi//Centos")));
  CHECK(v.exists("/efi/boot/bootx64.efi"));
  CHECK(v.exists("/EFI/centos/SHIMX64.EFI"));
  CHECK_FALSE(v.exists("/EFI/centos/missing.efi"));
  CHECK_FALSE(v.exists("/EFI/centos/grub.cfg/below-a-file"));
  CHECK_FALSE(v.exists("/EFI/redhat/grub.cfg"));

  const auto cfg = v.stat("/Efi/Centos/Grub.Cfg");
  REQUIRE(cfg.has_value());
  CHECK(cfg->name == "grub.cfg");
  CHECK_FALSE(cfg->is_dir);
  CHECK(cfg->size == std::filesystem::file_size(src / "cfg"));
  const auto efi = v.stat("/efi");
  REQUIRE(efi.has_value());
  CHECK(efi->is_dir);
  CHECK(efi->name == "EFI");
  const auto top = v.stat("/");
  REQUIRE(top.has_value());
  CHECK(top->is_dir);

  CHECK(v.read_file("/EFI/centos/shimx64.efi", kMiB) == slurp(src / "shim"));
  CHECK(v.read_file("/EFI/centos/grubx64.efi", kMiB) == slurp(src / "grub"));
  CHECK(v.read_file("/EFI/centos/grub.cfg", kMiB) == slurp(src / "cfg"));
  CHECK(v.read_file("/EFI/BOOT/BOOTX64.EFI", kMiB) == slurp(src / "boot"));
  const auto big = v.read_file("/BIG.BIN", kMiB);
  CHECK(big.size() == kBigSize);
  CHECK(big == slurp(src / "big"));
  CHECK(kBigSize / g.cluster_bytes > 8); // many clusters

  // The long name and the 8.3 alias mtools made for it find the same file.
  const auto longe = v.stat(std::string("/") + kLongName);
  REQUIRE(longe.has_value());
  CHECK(longe->short_name != longe->name);
  const auto alias = v.stat("/" + longe->short_name);
  REQUIRE(alias.has_value());
  CHECK(alias->first_cluster == longe->first_cluster);
  CHECK(v.read_file(std::string("/") + kLongName, 100) == slurp(src / "long"));

  const auto many = v.list("/MANY");
  CHECK(static_cast<std::uint64_t>(kManyFiles) * 3 * 32 > g.cluster_bytes); // needs > 1 cluster
  REQUIRE(many.size() == static_cast<std::size_t>(kManyFiles));
  for (int i = 0; i < kManyFiles; ++i) {
    CHECK(many[static_cast<std::size_t>(i)].name == many_name(i));
  }
  CHECK(v.read_file("/many/" + many_name(149), 100) == slurp(src / ("many/" + many_name(149))));

  CHECK_THROWS_AS((void)v.read_file("/big.bin", kBigSize - 1), InputError);
  CHECK_THROWS_WITH_AS((void)v.read_file("/EFI", kMiB), doctest::Contains("directory"), InputError);
  CHECK_THROWS_AS((void)v.read_file("/EFI/centos/nope", kMiB), InputError);
  CHECK_THROWS_AS((void)v.list("/big.bin"), InputError);
  CHECK_THROWS_AS((void)v.list("/no/such/dir"), InputError);

  CHECK(test::sha256_of(img) == before);
}

} // namespace

TEST_CASE("FAT12, FAT16, FAT32 and 4K-sector images made by mkfs.vfat and mtools" *
          doctest::test_suite("tools")) {
  if (!have_tools()) {
    return;
  }
  const Source src;
  test::TempDir t;
  struct Case {
    const char *size;
    const char *mkfs_args;
    FatType type;
  };
  for (const Case c : {Case{"2M", "-F 12", FatType::fat12}, Case{"64M", "-F 16", FatType::fat16},
                       Case{"200M", "-F 32 -s 1", FatType::fat32},
                       Case{"32M", "-F 16 -S 4096 -s 1", FatType::fat16}}) {
    INFO("mkfs.vfat " << c.mkfs_args);
    const std::string img = t / "fat.img";
    test::sh(fmt::format("rm -f {0} && truncate -s {1} {0} && mkfs.vfat {2} {0} >/dev/null", img,
                         c.size, c.mkfs_args));
    const bool jp = populate(src, img, 0);
    check_volume(src, img, 0, std::filesystem::file_size(img), c.type, jp);
  }
}

TEST_CASE("FAT at an offset inside a disk image, as an EFI system partition" *
          doctest::test_suite("tools")) {
  if (!have_tools()) {
    return;
  }
  const Source src;
  test::TempDir t;
  const std::string img = t / "disk.img";
  // Random bytes before the partition and after the filesystem must not matter.
  test::sh("head -c 1M /dev/urandom > " + img + " && truncate -s 48M " + img +
           " && mkfs.vfat --offset=2048 " + img + " 40960 >/dev/null 2>&1");
  const bool jp = populate(src, img, kMiB);
  check_volume(src, img, kMiB, 40 * kMiB, FatType::fat16, jp);

  auto fd = open_read_only(img);
  CHECK_THROWS_WITH_AS(FatVolume(fd.get(), img, 0, 48 * kMiB),
                       doctest::Contains("at byte offset 0"), InputError);
  // A partition smaller than the filesystem it holds.
  CHECK_THROWS_WITH_AS(FatVolume(fd.get(), img, kMiB, 20 * kMiB), doctest::Contains("claims"),
                       InputError);
}

TEST_CASE("damaged FAT images give InputError" * doctest::test_suite("tools")) {
  if (!have_tools()) {
    return;
  }
  const Source src;
  test::TempDir t;
  const std::string good = t / "good.img";
  test::sh("truncate -s 16M " + good + " && mkfs.vfat -F 16 " + good + " >/dev/null");
  populate(src, good, 0);
  const std::string good_hash = test::sha256_of(good);
  const std::string img = t / "bad.img";
  Geometry g;
  Entry big;
  Entry many;
  {
    auto fd = open_read_only(good);
    const FatVolume v(fd.get(), good, 0, 16 * kMiB);
    g = v.geometry();
    big = v.stat("/big.bin").value();
    many = v.stat("/many").value();
  }
  const auto open = [&img](const std::function<void(const FatVolume &)> &use) {
    const std::string before = test::sha256_of(img);
    auto fd = open_read_only(img);
    const FatVolume v(fd.get(), img, 0, 16 * kMiB);
    use(v);
    CHECK(test::sha256_of(img) == before);
  };
  const auto fat16_at = [&g](std::uint32_t cluster) { return g.fat_offset + 2ULL * cluster; };
  {
    // mcopy wrote big.bin into consecutive clusters: the damage below relies on it.
    auto fd = open_read_only(good);
    const auto fat = read_bytes(fd.get(), good, fat16_at(big.first_cluster), 12);
    for (std::uint32_t k = 0; k < 6; ++k) {
      REQUIRE(le16(fat, std::size_t{2} * k) == big.first_cluster + k + 1);
    }
  }

  // Each damage on a fresh copy of the good image (not SUBCASEs: those
  // would build the source files and the image again for each).
  const auto fresh = [&] { test::sh("cp --sparse=always " + good + " " + img); };
  const auto opens_not = [&open](const char *why) {
    CHECK_THROWS_WITH_AS(open([](const FatVolume &) {}), doctest::Contains(why), InputError);
  };
  {
    INFO("zeroed boot sector");
    fresh();
    test::sh("dd if=/dev/zero of=" + img + " bs=512 count=1 conv=notrunc status=none");
    opens_not("all zero");
  }
  {
    INFO("bad bytes per sector");
    fresh();
    patch(img, 11, {0x00, 0x03}); // 768
    opens_not("bytes per sector 768");
    patch(img, 11, {0x00, 0x20}); // 8192
    opens_not("bytes per sector 8192");
  }
  {
    INFO("sectors per cluster not a power of two, no reserved sectors, three FATs");
    fresh();
    patch(img, 13, {3});
    opens_not("sectors per cluster 3");
    fresh();
    patch(img, 14, {0, 0});
    opens_not("reserved");
    fresh();
    patch(img, 16, {3});
    opens_not("3 FATs");
  }
  {
    INFO("a file's cluster chain loops");
    fresh();
    patch(img, fat16_at(big.first_cluster + 5), le_bytes(big.first_cluster + 1, 2));
    open([](const FatVolume &v) {
      CHECK_THROWS_WITH_AS((void)v.read_file("/big.bin", kMiB), doctest::Contains("loops back"),
                           InputError);
      CHECK(v.exists("/EFI/centos/grub.cfg")); // the rest still reads
    });
  }
  {
    INFO("a file's cluster chain runs into a free cluster, or ends early");
    fresh();
    patch(img, fat16_at(big.first_cluster + 3), {0, 0});
    open([](const FatVolume &v) {
      CHECK_THROWS_WITH_AS((void)v.read_file("/big.bin", kMiB), doctest::Contains("free cluster"),
                           InputError);
    });
    patch(img, fat16_at(big.first_cluster + 3), {0xFF, 0xFF});
    open([](const FatVolume &v) {
      CHECK_THROWS_WITH_AS((void)v.read_file("/big.bin", kMiB), doctest::Contains("ends after 4"),
                           InputError);
    });
  }
  {
    INFO("a directory's chain points past the end");
    fresh();
    patch(img, fat16_at(many.first_cluster), {0xF0, 0xFF});
    open([](const FatVolume &v) {
      CHECK_THROWS_WITH_AS((void)v.list("/many"), doctest::Contains("outside"), InputError);
      CHECK_THROWS_AS((void)v.exists("/many/x"), InputError);
      CHECK_FALSE(v.exists("/nothing"));
    });
  }
  {
    INFO("a directory's chain loops onto itself");
    fresh();
    patch(img, fat16_at(many.first_cluster), le_bytes(many.first_cluster, 2));
    open([](const FatVolume &v) {
      CHECK_THROWS_WITH_AS((void)v.list("/many"), doctest::Contains("loops back"), InputError);
    });
  }
  {
    INFO("a directory entry's first cluster points past the end");
    fresh();
    // Find the root directory entry "EFI" and give it cluster 0xFFF0.
    auto fd = open_read_only(img);
    const auto boot = read_bytes(fd.get(), img, 0, 512);
    const std::uint64_t root =
        (le16(boot, 14) + std::uint64_t{2} * le16(boot, 22)) * le16(boot, 11);
    const auto dir = read_bytes(fd.get(), img, root, 32ULL * le16(boot, 17));
    std::uint64_t at = 0;
    for (std::size_t off = 0; off + 32 <= dir.size(); off += 32) {
      if (has_at(dir, off, "EFI        ")) {
        at = root + off;
      }
    }
    REQUIRE(at != 0);
    patch(img, at + 26, {0xF0, 0xFF});
    open([](const FatVolume &v) {
      CHECK_THROWS_WITH_AS((void)v.list("/EFI/centos"), doctest::Contains("outside"), InputError);
      CHECK(v.exists("/big.bin"));
    });
  }
  {
    INFO("an image shorter than the filesystem");
    fresh();
    test::sh("truncate -s " + std::to_string(g.data_offset) + " " + img);
    auto fd = open_read_only(img);
    CHECK_THROWS_WITH_AS(FatVolume(fd.get(), img, 0, g.data_offset), doctest::Contains("claims"),
                         InputError);
    // Told the partition is whole, it finds out when a read comes up short.
    const FatVolume v(fd.get(), img, 0, 16 * kMiB);
    CHECK(v.list("/").size() >= 4);
    CHECK_THROWS_WITH_AS((void)v.list("/EFI"), doctest::Contains("image ends"), InputError);
  }
  CHECK(test::sha256_of(good) == good_hash);
}

TEST_CASE("FAT32: a loop in a directory chain, and a bad root cluster" *
          doctest::test_suite("tools")) {
  if (!have_tools()) {
    return;
  }
  const Source src;
  test::TempDir t;
  const std::string img = t / "fat32.img";
  test::sh("truncate -s 200M " + img + " && mkfs.vfat -F 32 -s 1 " + img + " >/dev/null");
  populate(src, img, 0);
  Geometry g;
  Entry many;
  {
    auto fd = open_read_only(img);
    const FatVolume v(fd.get(), img, 0, 200 * kMiB);
    g = v.geometry();
    many = v.stat("/many").value();
  }
  // The third cluster of /many points back to its first.
  auto fd = open_read_only(img);
  const auto fat = read_bytes(fd.get(), img, g.fat_offset + 4ULL * many.first_cluster, 4);
  const std::uint32_t second = le32(fat, 0) & 0x0FFFFFFFU;
  REQUIRE(second >= 2);
  const auto fat2 = read_bytes(fd.get(), img, g.fat_offset + 4ULL * second, 4);
  const std::uint32_t third = le32(fat2, 0) & 0x0FFFFFFFU;
  REQUIRE(third >= 2);
  REQUIRE(third < 0x0FFFFFF8);
  patch(img, g.fat_offset + 4ULL * third, le_bytes(many.first_cluster, 4));
  {
    const FatVolume v(fd.get(), img, 0, 200 * kMiB);
    CHECK_THROWS_WITH_AS((void)v.list("/many"), doctest::Contains("loops back"), InputError);
    CHECK(v.read_file("/EFI/centos/grub.cfg", 100) == slurp(src / "cfg"));
  }
  patch(img, 44, le_bytes(0x0FFFFFF0, 4)); // root directory cluster
  CHECK_THROWS_WITH_AS(FatVolume(fd.get(), img, 0, 200 * kMiB),
                       doctest::Contains("root directory cluster"), InputError);
}

TEST_CASE("random damage to a FAT12 image: InputError or sound data, never a crash" *
          doctest::test_suite("tools")) {
  if (!have_tools()) {
    return;
  }
  const Source src;
  test::TempDir t;
  const std::string img = t / "fuzz.img";
  test::sh("truncate -s 2M " + img + " && mkfs.vfat -F 12 " + img + " >/dev/null");
  populate(src, img, 0);
  Geometry g;
  {
    auto fd = open_read_only(img);
    g = FatVolume(fd.get(), img, 0, 2 * kMiB).geometry();
  }
  // Damage what is in use: the BPB, the start of the FAT, the first root
  // directory entries and the first data clusters (directories and files).
  const auto boot = read_bytes(open_read_only(img).get(), img, 0, 512);
  const std::uint64_t root_at = g.data_offset - 32ULL * le16(boot, 17);
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> regions = {
      {0, 64}, {g.fat_offset, 600}, {root_at, 512}, {g.data_offset, 8ULL * g.cluster_bytes}};
  const std::uint64_t span = g.data_offset + 8ULL * g.cluster_bytes;
  const auto original = read_bytes(open_read_only(img).get(), img, 0, span);
  std::mt19937 rng(20240611); // fixed: a failure must be reproducible
  std::uniform_int_distribution<std::uint64_t> any(0, ~std::uint64_t{0});
  std::uniform_int_distribution<int> value(0, 255);
  int opened = 0;
  int errors = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<std::uint64_t> spots;
    for (int k = 0; k < 1 + round % 6; ++k) {
      const auto &[start, len] = regions[any(rng) % regions.size()];
      spots.push_back(start + any(rng) % len);
      patch(img, spots.back(), {static_cast<std::uint8_t>(value(rng))});
    }
    try {
      auto fd = open_read_only(img);
      const FatVolume v(fd.get(), img, 0, 2 * kMiB);
      ++opened;
      int budget = 100; // damaged directories may alias each other: bound the walk
      std::function<void(const std::string &, int)> walk = [&](const std::string &dir, int depth) {
        int files = 0;
        for (const auto &e : v.list(dir)) {
          if (--budget < 0 || depth > 6) {
            return;
          }
          const std::string p = dir + "/" + e.name;
          if (e.is_dir) {
            walk(p, depth + 1);
          } else if (++files <= 5 && e.size <= kMiB) {
            (void)v.read_file(p, kMiB);
          }
        }
      };
      walk("", 0);
    } catch (const InputError &) {
      ++errors;
    }
    for (const auto spot : spots) {
      patch(img, spot, {std::to_integer<std::uint8_t>(original[spot])});
    }
  }
  MESSAGE(opened << " of 300 damaged images opened, " << errors << " gave InputError");
  CHECK(opened > 0);
}
