#include "rescue/scan/host_path.hpp"

#include <vector>

namespace kvmr::scan {

std::string normalize(std::string_view path) {
  const bool absolute = !path.empty() && path.front() == '/';
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, end - pos);
    if (part.empty() || part == ".") {
      // nothing
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(part);
    }
    pos = end + 1;
  }
  std::string out = absolute ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += '/';
    }
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::string dirname(std::string_view path) {
  const std::string n = normalize(path);
  const std::size_t slash = n.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : n.substr(0, slash);
}

std::string basename(std::string_view path) {
  const std::string n = normalize(path);
  const std::size_t slash = n.rfind('/');
  return slash == std::string::npos ? n : n.substr(slash + 1);
}

std::string resolve(std::string_view dir, std::string_view rel) {
  if (!rel.empty() && rel.front() == '/') {
    return normalize(rel);
  }
  std::string joined(dir);
  joined += '/';
  joined += rel;
  return normalize(joined);
}

bool is_under(std::string_view path, std::string_view dir) {
  const std::string p = normalize(path);
  const std::string d = normalize(dir);
  if (d == "/") {
    return !p.empty() && p.front() == '/';
  }
  return p == d || (p.size() > d.size() && p.compare(0, d.size(), d) == 0 && p[d.size()] == '/');
}

} // namespace kvmr::scan
