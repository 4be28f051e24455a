// The target layout (see plan_layout.hpp).
#include "rescue/plan/plan_layout.hpp"

#include "rescue/scan/host_path.hpp"
#include "rescue/scan/vm_name.hpp"

namespace kvmr::plan {
namespace {

std::string dm_escape(const std::string &s) {
  std::string out;
  for (const char c : s) {
    out += c;
    if (c == '-') {
      out += '-';
    }
  }
  return out;
}

} // namespace

Placement place_image(const PlanLayout &l, const std::string &path) {
  const std::string p = scan::normalize(path);
  const std::string images = scan::normalize(l.images_dir);
  if (scan::is_under(p, images) && p != images) {
    const std::string rel = images == "/" ? p.substr(1) : p.substr(images.size() + 1);
    return {rel, p, false};
  }
  const std::string dest = l.relocated_dir + p;
  return {dest, scan::normalize(images + "/" + dest), true};
}

Placement place_dir(const PlanLayout &l, const std::string &dir) {
  const std::string p = scan::normalize(dir);
  if (scan::is_under(p, scan::normalize(l.images_dir))) {
    return {"", p, false};
  }
  return place_image(l, p);
}

Placement place_lv(const PlanLayout &l, const std::string &lv_name) {
  const auto slash = lv_name.find('/');
  const std::string file = slash == std::string::npos ? dm_escape(lv_name)
                                                      : dm_escape(lv_name.substr(0, slash)) + "-" +
                                                            dm_escape(lv_name.substr(slash + 1));
  const std::string dest = l.lv_dir + "/" + file + ".img";
  return {dest, scan::normalize(l.images_dir + "/" + dest), true};
}

std::string payload_dest(const PlanLayout &l, const std::string &path) {
  return l.state_dir + "/payload" + scan::normalize(path);
}

std::string place_nvram(const std::string &vm, const std::string &path) {
  constexpr std::string_view dir = "/var/lib/libvirt/qemu/nvram/";
  const std::string_view name = std::string_view(path).substr(std::min(path.size(), dir.size()));
  if (path.starts_with(dir) && !name.empty() && name.find('/') == std::string_view::npos &&
      name != "." && name != ".." && scan::is_safe_vm_name(name)) {
    return path;
  }
  return std::string(dir) + vm + "_VARS.fd";
}

} // namespace kvmr::plan
