// libFuzzer target for our reading of partition-table bytes: sector 0 as
// an MBR (rescue/disk/mbr.hpp: entries, protective type, boot code kind,
// GRUB core.img marker) and the whole input as a disk image read through
// read_partition_table (rescue/disk/partition_table.hpp), which hands the
// GPT or DOS label to libfdisk and then applies the geometry checks of its
// own. A table libfdisk refuses is a SysError; anything else must not crash.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./partition_table_fuzz corpus/partition_table
#include "fuzz/memfd_input.hpp"
#include "rescue/disk/mbr.hpp"
#include "rescue/disk/partition_table.hpp"
#include "rescue/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  try {
    const kvmr::disk::Mbr mbr = kvmr::disk::parse_mbr(bytes);
    (void)kvmr::disk::describe(mbr.boot_code);
    if (size < 512) {
      std::abort(); // a short sector must be refused
    }
  } catch (const kvmr::InputError &) {
    // shorter than a sector
  }
  (void)kvmr::disk::looks_like_grub_core(bytes);
  const kvmr::UniqueFd fd = kvmr::fuzz::memfd_with(data, size);
  try {
    const auto table = kvmr::disk::read_partition_table(fd.get(), "fuzz.img", size);
    for (const auto &p : table.partitions) {
      if (p.number < 1) {
        std::abort();
      }
    }
  } catch (const kvmr::SysError &) {
    // libfdisk refused the label
  } catch (const kvmr::InputError &) {
    // refused
  }
  return 0;
}
