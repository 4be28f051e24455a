// qcow2 damage in the report (see qcow2_damage.hpp).
#include "rescue/run/qcow2_damage.hpp"

#include "rescue/io/file_byte_source.hpp"
#include "rescue/run/execute.hpp"

#include <exception>
#include <map>

namespace kvmr::run {

void map_qcow2_damage(RunReport &r, const std::string &target_root, const ImageOpener &open) {
  std::map<std::string, std::vector<DamagedRange *>> by_dest; // one read of each copy
  for (auto &d : r.damaged) {
    if (d.format == "qcow2") {
      by_dest[d.dest].push_back(&d);
    }
  }
  for (auto &[dest, ranges] : by_dest) {
    std::vector<scan::Qcow2Range> bad;
    bad.reserve(ranges.size());
    for (const DamagedRange *d : ranges) {
      bad.push_back({d->offset, d->length});
    }
    std::vector<scan::Qcow2Hit> hits;
    try {
      const std::string path = target_path(target_root, dest);
      const std::unique_ptr<io::ByteSource> src =
          open ? open(path) : std::make_unique<io::FileByteSource>(path);
      hits = scan::map_qcow2_damage(*src, bad);
    } catch (const std::exception &e) {
      scan::Qcow2Hit none;
      none.areas = {scan::Qcow2Area::unknown};
      none.detail = std::string("not mapped: ") + e.what();
      hits.assign(ranges.size(), none);
    }
    for (std::size_t n = 0; n < ranges.size() && n < hits.size(); ++n) {
      ranges[n]->qcow2 = std::move(hits[n]);
    }
  }
}

} // namespace kvmr::run
