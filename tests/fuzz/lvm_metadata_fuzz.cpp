// libFuzzer target for the LVM2 text metadata reader: any bytes go into
// parse_config and parse_volume_group; whatever parses is assembled and
// mapped, so the byte arithmetic on hostile numbers is exercised too.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./lvm_metadata_fuzz corpus/
#include "rescue/lvm/config_tree.hpp"
#include "rescue/lvm/metadata.hpp"
#include "rescue/lvm/volume_map.hpp"
#include "rescue/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  const kvmr::lvm::ConfigLimits limits{std::size_t{1} << 20U, 16, 100'000, 200'000};
  try {
    (void)kvmr::lvm::parse_config(text, limits);
    kvmr::lvm::PvLabel pv;
    pv.path = "fuzz";
    pv.available = std::uint64_t{1} << 40U;
    pv.metadata = kvmr::lvm::MetadataCopy{
        std::string(text), kvmr::lvm::parse_volume_group(text, "fuzz", limits), 0, 0, true};
    if (!pv.metadata->vg.physical_volumes.empty()) {
      pv.uuid = pv.metadata->vg.physical_volumes.front().id;
    }
    const auto assembly = kvmr::lvm::assemble_volume_groups({pv});
    for (const auto &vg : assembly.vgs) {
      for (const auto &lv : vg.lvs) {
        (void)kvmr::lvm::lv_access(lv);
        (void)kvmr::lvm::byte_ranges(lv, 0, std::uint64_t{1} << 20U);
      }
    }
  } catch (const kvmr::InputError &) {
    // refused: the expected outcome for most inputs
  }
  return 0;
}
