#include "rescue/scan/host_path.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace kvmr::scan {
namespace {

constexpr int kMaxSymlinks = 40; // the kernel's own limit

// The names of PATH, without empty ones and ".".
std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, end - pos);
    if (!part.empty() && part != ".") {
      out.emplace_back(part);
    }
    pos = end + 1;
  }
  return out;
}

std::string absolute_of(const std::vector<std::string> &parts) {
  std::string out;
  for (const auto &p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

// DONE followed by what is still TODO (a stack: its back comes first).
std::string with_rest(std::vector<std::string> done, const std::vector<std::string> &todo) {
  done.insert(done.end(), todo.rbegin(), todo.rend());
  return absolute_of(done);
}

} // namespace

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

InRootPath resolve_in_root(io::SourceTree &tree, std::string_view path) {
  InRootPath out;
  std::vector<std::string> done; // resolved names, none a symlink
  std::vector<std::string> todo = components(path);
  std::reverse(todo.begin(), todo.end());
  int links = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (name == "..") {
      if (!done.empty()) {
        done.pop_back();
      }
      continue;
    }
    done.push_back(std::move(name));
    const std::string here = absolute_of(done);
    const auto st = tree.lstat(here);
    if (!st) {
      out.path = with_rest(done, todo);
      out.problem = out.path == normalize(path)
                        ? fmt::format("{}: does not exist", path)
                        : fmt::format("{}: leads to {}, which does not exist", path, out.path);
      return out;
    }
    if (st->type == io::FileType::symlink) {
      if (++links > kMaxSymlinks) {
        out.path = here;
        out.problem = fmt::format("{}: too many levels of symbolic links", path);
        return out;
      }
      const std::string target = tree.readlink(here);
      done.pop_back();
      if (target.starts_with('/')) {
        done.clear(); // the old root, not this machine's
      }
      const auto more = components(target);
      todo.insert(todo.end(), more.rbegin(), more.rend());
      continue;
    }
    if (!todo.empty() && st->type != io::FileType::directory) {
      out.path = with_rest(done, todo);
      out.problem = fmt::format("{}: {} is not a directory", path, here);
      return out;
    }
    if (todo.empty()) {
      out.stat = st;
    }
  }
  out.path = absolute_of(done);
  if (!out.stat) { // PATH was "/" or ended in ".."
    out.stat = tree.lstat(out.path);
  }
  return out;
}

} // namespace kvmr::scan
