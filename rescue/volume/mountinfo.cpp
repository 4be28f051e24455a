// mountinfo parsing (see mountinfo.hpp).
#include "rescue/volume/mountinfo.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kvmr::volume {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string &s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::strtol(oct.c_str(), nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

} // namespace

std::vector<MountEntry> read_mountinfo(const std::string &file) {
  std::vector<MountEntry> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id;
    std::string parent;
    std::string devno;
    MountEntry e;
    fields >> id >> parent >> devno >> e.root >> e.mount_point >> e.mount_options;
    const auto colon = devno.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    e.major = static_cast<unsigned>(std::strtoul(devno.substr(0, colon).c_str(), nullptr, 10));
    e.minor = static_cast<unsigned>(std::strtoul(devno.substr(colon + 1).c_str(), nullptr, 10));
    std::string tok;
    while (fields >> tok && tok != "-") {
      // optional fields (shared:N, master:N ...)
    }
    fields >> e.fs_type >> e.source >> e.super_options;
    e.root = unescape(e.root);
    e.mount_point = unescape(e.mount_point);
    e.source = unescape(e.source);
    out.push_back(std::move(e));
  }
  return out;
}

bool has_option(const std::string &options, const std::string &option) {
  std::istringstream in(options);
  std::string o;
  while (std::getline(in, o, ',')) {
    if (o == option) {
      return true;
    }
  }
  return false;
}

} // namespace kvmr::volume
