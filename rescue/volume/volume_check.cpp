// The no-modify check of mounted volumes (see volume_check.hpp).
#include "rescue/volume/volume_check.hpp"

namespace kvmr::volume {

void check_volumes(std::vector<Volume> &volumes, const std::map<std::string, std::string> &devices,
                   CommandRunner &runner) {
  for (auto &v : volumes) {
    const auto it = devices.find(v.name);
    if (it == devices.end() || v.mountpoint.empty()) {
      continue;
    }
    v.check = check_filesystem(it->second, v.fstype, runner);
  }
}

} // namespace kvmr::volume
