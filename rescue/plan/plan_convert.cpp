// Converted disks (see plan_convert.hpp).
#include "rescue/plan/plan_convert.hpp"

#include "rescue/scan/image_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace kvmr::plan {

std::string read_only_formats(const scan::ImageChain &chain) {
  if (!chain.ok() || chain.members.empty()) {
    return {};
  }
  std::vector<std::string> names;
  for (const auto &m : chain.members) {
    const auto format = m.opened_as ? m.opened_as : m.format;
    if (!m.exists || m.type != io::FileType::regular || !format) {
      return {};
    }
    const std::string name(scan::format_name(*format));
    if (scan::is_read_only_on_el(*format) &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

PlanItem converted_item(const std::string &vm, const scan::VmDisk &d, const scan::ImageChain &chain,
                        const std::string &dest, const std::string &new_path) {
  const scan::ChainMember &top = chain.members.front();
  PlanItem i;
  i.kind = ItemKind::image;
  i.vm = vm;
  i.source = top.path;
  i.dest = dest;
  i.new_path = new_path;
  i.format = "qcow2";
  i.convert_from = std::string(scan::format_name(top.opened_as.value_or(*top.format)));
  std::uint64_t allocated = 0;
  for (const auto &m : chain.members) {
    allocated += m.allocated;
    for (const auto &e : m.extents) {
      allocated += e.allocated;
    }
    if (m.data_file) {
      allocated += m.data_file->allocated;
    }
  }
  i.size = top.size; // what the copy finds at SOURCE, as for any image
  i.allocated = allocated;
  i.guest_disk = d.target;
  return i;
}

} // namespace kvmr::plan
