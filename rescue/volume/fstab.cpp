// fstab parsing and volume references (see fstab.hpp).
#include "rescue/volume/fstab.hpp"

#include "rescue/util/ascii.hpp"

#include <algorithm>
#include <array>
#include <sstream>

namespace kvmr::volume {
namespace {

bool is_octal(char c) {
  return c >= '0' && c <= '7';
}

// "\040"-style escapes as util-linux's unmangle reads them: a backslash
// and exactly three octal digits; anything else stays as written (a
// "\9" or "\08" from a damaged fstab must not throw).
std::string unescape(const std::string &s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
        is_octal(s[i + 3])) {
      const int v = ((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0');
      out += static_cast<char>(v);
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// /dev/mapper/VG-LV: a single '-' separates, "--" is a literal dash.
std::string mapper_to_vg_lv(const std::string &name) {
  std::string vg;
  std::size_t i = 0;
  for (; i < name.size(); ++i) {
    if (name[i] == '-') {
      if (i + 1 < name.size() && name[i + 1] == '-') {
        vg += '-';
        ++i;
        continue;
      }
      break;
    }
    vg += name[i];
  }
  if (i >= name.size()) {
    return {};
  }
  std::string lv;
  for (++i; i < name.size(); ++i) {
    if (name[i] == '-' && i + 1 < name.size() && name[i + 1] == '-') {
      ++i;
    }
    lv += name[i];
  }
  return vg + "/" + lv;
}

bool starts_with(const std::string &s, const std::string &p) {
  return s.rfind(p, 0) == 0;
}

} // namespace

std::vector<FstabEntry> parse_fstab(const std::string &text) {
  std::vector<FstabEntry> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto hash = line.find('#');
    if (hash != std::string::npos) {
      line.resize(hash);
    }
    std::istringstream fields(line);
    FstabEntry e;
    if (!(fields >> e.spec >> e.mountpoint >> e.fstype)) {
      continue;
    }
    fields >> e.options;
    e.spec = unescape(e.spec);
    e.mountpoint = unescape(e.mountpoint);
    e.line = n;
    out.push_back(e);
  }
  return out;
}

bool is_local_mount(const FstabEntry &e) {
  static const std::array<const char *, 14> skip{"swap",     "proc", "sysfs",   "tmpfs", "devpts",
                                                 "nfs",      "nfs4", "cifs",    "smbfs", "none",
                                                 "devtmpfs", "fuse", "iso9660", "udf"};
  if (std::find(skip.begin(), skip.end(), e.fstype) != skip.end()) {
    return false;
  }
  if (e.mountpoint.empty() || e.mountpoint[0] != '/') {
    return false;
  }
  std::istringstream opts(e.options);
  std::string o;
  while (std::getline(opts, o, ',')) {
    if (o == "noauto" || o == "bind" || o == "rbind") {
      return false;
    }
  }
  return true;
}

VolumeRef parse_spec(const std::string &spec) {
  using K = VolumeRef::Kind;
  if (starts_with(spec, "UUID="))
    return {K::uuid, ascii_lower(spec.substr(5))};
  if (starts_with(spec, "LABEL="))
    return {K::label, spec.substr(6)};
  if (starts_with(spec, "PARTUUID="))
    return {K::partuuid, ascii_lower(spec.substr(9))};
  if (starts_with(spec, "/dev/disk/by-uuid/"))
    return {K::uuid, ascii_lower(spec.substr(18))};
  if (starts_with(spec, "/dev/disk/by-label/"))
    return {K::label, spec.substr(19)};
  if (starts_with(spec, "/dev/disk/by-partuuid/"))
    return {K::partuuid, ascii_lower(spec.substr(22))};
  if (starts_with(spec, "/dev/mapper/")) {
    const std::string vl = mapper_to_vg_lv(spec.substr(12));
    return vl.empty() ? VolumeRef{K::device, spec} : VolumeRef{K::lvm, vl};
  }
  if (starts_with(spec, "/dev/")) {
    const std::string rest = spec.substr(5);
    const auto slash = rest.find('/');
    if (slash != std::string::npos && rest.find('/', slash + 1) == std::string::npos &&
        !starts_with(rest, "disk/")) {
      return {K::lvm, rest};
    }
    return {K::device, spec};
  }
  return {K::unknown, spec};
}

} // namespace kvmr::volume
