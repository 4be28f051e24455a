// Real LVM2 metadata for the lvm_* tests: image files attached as loop
// devices that this test attached (and always detaches), the LVM tools run
// with activation off and only on those devices, and what `lvs` and `pvs`
// report about the result, to compare the project's own reader against.
#pragma once

#include "unit/rescue/test_util.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::test {

// Why LVM fixtures cannot be made here ("not root", "losetup missing"...),
// or an empty string when they can.
std::string lvm_skip_reason();

// A loop device attached read-write to IMAGE (at OFFSET, SIZE bytes long
// when SIZE is not 0) with losetup --find --show. Detached in the
// destructor, also when the test fails; never touches any other loop.
class LoopDevice {
public:
  LoopDevice(const std::string &image, std::uint64_t offset = 0, std::uint64_t size = 0);
  LoopDevice(const LoopDevice &) = delete;
  LoopDevice &operator=(const LoopDevice &) = delete;
  LoopDevice(LoopDevice &&other) noexcept;
  LoopDevice &operator=(LoopDevice &&) = delete;
  ~LoopDevice();
  [[nodiscard]] const std::string &path() const { return path_; }
  void detach() noexcept;

private:
  std::string path_;
};

// Runs `lvm COMMAND ARGS` (ARGS as shell words) restricted to DEVICES, with
// activation, udev, backups and the devices file switched off. Fails the
// test when it fails; returns stdout.
std::string lvm(const std::vector<std::string> &devices, const std::string &command,
                const std::string &args);

struct LvsRow {
  std::string lv;
  std::uint64_t seg_start_pe = 0;
  std::uint64_t seg_size_pe = 0;
  std::string seg_pe_ranges;     // "/dev/loop0:0-1 /dev/loop1:0-1"
  std::string devices;           // "/dev/loop0(0),/dev/loop1(0)"
  std::uint64_t stripe_size = 0; // bytes
};

struct PvsRow {
  std::string name; // /dev/loopN
  std::string uuid;
  std::uint64_t pe_start = 0; // bytes
  std::uint64_t dev_size = 0; // bytes
};

// `lvs --reportformat json -o lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges,devices,stripe_size`
std::vector<LvsRow> lvs_rows(const std::vector<std::string> &devices);
// `pvs --reportformat json -o pv_name,pv_uuid,pe_start,dev_size --units b`
std::vector<PvsRow> pvs_rows(const std::vector<std::string> &devices);
// `vgs -o vg_extent_size --units b` of VG
std::uint64_t vg_extent_size(const std::vector<std::string> &devices, const std::string &vg);

// Parses one "DEV:FIRST-LAST" of seg_pe_ranges.
struct PeRange {
  std::string device;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};
std::vector<PeRange> parse_pe_ranges(const std::string &ranges);

// One PV to make: an image file of IMAGE_SIZE bytes (sparse) with the PV
// at OFFSET, SIZE bytes long (0: to the end), made with PVCREATE_ARGS.
struct PvSpec {
  std::string image;
  std::uint64_t image_size = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::string pvcreate_args{};
};

// What the LVM tools made and reported.
struct LvmFixture {
  std::vector<PvSpec> pvs;        // images are full paths
  std::vector<std::string> loops; // the loop device each PV was on (as lvs names it)
  std::vector<LvsRow> lvs;
  std::vector<PvsRow> pvs_report;
  std::uint64_t extent_size = 0;
  [[nodiscard]] std::size_t index_of_loop(const std::string &loop) const;
  [[nodiscard]] std::uint64_t pv_size(std::size_t i) const;
};

// Attaches a loop device per PV, runs pvcreate on each, then COMMANDS
// (lvm subcommand and arguments; "{0}", "{1}" ... stand for the loop
// devices), collects lvs/pvs/vgs for VG, and detaches. Returns nullopt
// after skipping the test case (unit/skip.hpp) when lvm_skip_reason() names
// something this machine lacks; a loop device that cannot be attached all
// the same fails the test.
std::optional<LvmFixture> make_lvm_fixture(const TempDir &dir, std::vector<PvSpec> pvs,
                                           const std::vector<std::string> &commands,
                                           const std::string &vg);

// VG vg_root with linear LVs root (16 MiB) and swap (8 MiB) on one PV that
// starts 1 MiB into an 80 MiB image and is 64 MiB long (a partition, as on
// a CentOS 7 disk); EXTRA_PVCREATE is added to pvcreate.
std::optional<LvmFixture> make_root_swap_fixture(const TempDir &dir,
                                                 const std::string &extra_pvcreate = "");

// Copies SRC to DST keeping holes, then overwrites bytes at OFFSET with
// BYTES (to make damaged copies of a fixture).
void copy_file(const std::string &src, const std::string &dst);
void poke(const std::string &path, std::uint64_t offset, const std::string &bytes);
std::string peek(const std::string &path, std::uint64_t offset, std::size_t len);

} // namespace kvmr::test
