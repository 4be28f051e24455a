// prepare_target: GPT, wiped ranges, data filesystem through a loop device
// at the partition's offset, OEMDRV vfat in place; then read back what was
// made (see target.hpp).
#include "rescue/disk/probe.hpp"
#include "rescue/target/gpt_writer.hpp"
#include "rescue/target/mkfs.hpp"
#include "rescue/target/partition_plan.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/error.hpp"
#include "rescue/volume/loop.hpp"
#include "rescue/volume/registry.hpp"

namespace kvmr::target {
namespace {

std::string joined(const std::vector<std::string> &lines) {
  std::string out;
  for (const auto &l : lines) {
    out += (out.empty() ? "" : "\n") + l;
  }
  return out;
}

// The data filesystem through a writable loop device over its partition;
// the loop is recorded (a killed run's is detached by the next) and gone
// when this returns or throws.
void make_data_fs(const std::string &path, const PartitionPlan &plan, const Layout &layout,
                  CommandRunner &runner) {
  volume::Registry registry;
  volume::LoopDevice loop =
      volume::LoopDevice::attach_read_write({path, plan.data_start, plan.data_size});
  registry.add_loop({loop.path(), path, plan.data_start});
  run_tool(runner, data_mkfs_argv(loop.path(), layout),
           "make the " + layout.fs_type + " data filesystem on " + path + " (through " +
               loop.path() + ")");
  flush_device(loop.path());
  loop.detach();
}

PreparedTarget read_back(const std::string &path, const PartitionPlan &plan, const Layout &layout,
                         CommandRunner &runner) {
  disk::ProbeOptions opts;
  opts.smart = false;
  const disk::Disk d = disk::probe_disk(path, runner, opts);
  PreparedTarget out;
  out.path = path;
  const auto want = layout.oemdrv ? 2U : 1U;
  if (d.table.type != "gpt" || d.table.partitions.size() != want) {
    throw InputError(path + ": reading back the new GPT found " +
                     (d.table.type.empty() ? std::string("no table") : d.table.type) + " with " +
                     std::to_string(d.table.partitions.size()) + " partitions, expected " +
                     std::to_string(want));
  }
  const disk::Partition &data = d.table.partitions.at(0);
  if (data.start != plan.data_start || data.size != plan.data_size ||
      data.fs.type != layout.fs_type || data.fs.label != layout.label) {
    throw InputError(path + ": the data partition reads back as " + data.fs.type + " '" +
                     data.fs.label + "' at " + std::to_string(data.start) + ", expected " +
                     layout.fs_type + " '" + layout.label + "' at " +
                     std::to_string(plan.data_start));
  }
  out.data_offset = data.start;
  out.data_size = data.size;
  out.data_partuuid = data.uuid;
  out.data_fs_uuid = data.fs.uuid;
  if (layout.oemdrv) {
    const disk::Partition &oem = d.table.partitions.at(1);
    if (oem.start != plan.oemdrv_start || oem.fs.type != "vfat" || oem.fs.label != "OEMDRV") {
      throw InputError(path + ": the OEMDRV partition reads back as " + oem.fs.type + " '" +
                       oem.fs.label + "' at " + std::to_string(oem.start));
    }
    out.oemdrv_offset = oem.start;
    out.oemdrv_size = oem.size;
    out.oemdrv_partuuid = oem.uuid;
    out.oemdrv_fs_uuid = oem.fs.uuid;
  }
  return out;
}

} // namespace

PreparedTarget prepare_target(const std::string &path, const std::string &confirm,
                              const std::vector<disk::Disk> &sources, std::uint64_t needed,
                              const Layout &layout, CommandRunner *runner) {
  if (confirm != path) {
    throw InputError(
        "preparing " + path +
        " erases everything on it; to go on, repeat its path: " + "--confirm-wipe=" + path +
        (confirm.empty() ? std::string{} : " (given: --confirm-wipe=" + confirm + ")"));
  }
  const TargetInfo info = inspect_target(path);
  if (info.kind == Kind::directory) {
    throw InputError(path + " is a directory: only a disk or an image file is prepared; a "
                            "mounted directory is used as it is");
  }
  if (const auto why = refusals(info, sources, needed, layout); !why.empty()) {
    throw InputError(joined(why));
  }
  (void)data_mkfs_argv("", layout); // an unknown fs type fails before anything is written
  const auto plan = plan_partitions(info.disk->size, info.disk->logical_sector_size, layout);
  if (!plan) {
    throw InputError(path + " is too small for the layout");
  }
  check_writable(path); // nothing is written when it cannot be opened
  SystemCommandRunner system;
  CommandRunner &run = runner != nullptr ? *runner : system;
  std::string step = "wiping old signatures";
  try {
    wipe_signatures(path, *plan);
    step = "writing the GPT";
    write_gpt(path, *plan);
    step = "making the data filesystem";
    make_data_fs(path, *plan, layout, run);
    if (layout.oemdrv) {
      step = "making the OEMDRV filesystem";
      run_tool(run,
               oemdrv_mkfs_argv(path, plan->oemdrv_start, plan->oemdrv_size, plan->sector_size),
               "make the OEMDRV filesystem on " + path);
    }
    step = "flushing";
    flush_device(path);
    step = "reading back the result";
    return read_back(path, *plan, layout, run);
  } catch (const std::exception &e) {
    throw InputError(std::string(e.what()) + "\n" + path +
                     " is now partly prepared (failed while " + step +
                     "); its old contents are damaged: prepare it again or wipe it");
  }
}

} // namespace kvmr::target
