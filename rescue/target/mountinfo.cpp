// mountinfo parsing and sysfs block-device relations (see mountinfo.hpp).
#include "rescue/target/mountinfo.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kvmr::target {
namespace fs = std::filesystem;

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

std::string read_sys_line(const std::string &path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

std::string block_name(unsigned major, unsigned minor) {
  std::error_code ec;
  const auto link =
      fs::read_symlink("/sys/dev/block/" + std::to_string(major) + ":" + std::to_string(minor), ec);
  return ec ? std::string{} : link.filename().string();
}

std::vector<std::string> partitions_of(const std::string &name) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator("/sys/class/block/" + name, ec)) {
    const std::string child = e.path().filename().string();
    if (child.rfind(name, 0) == 0 && fs::exists(e.path() / "partition")) {
      out.push_back(child);
    }
  }
  return out;
}

bool block_numbers(const std::string &name, unsigned &major, unsigned &minor) {
  const std::string dev = read_sys_line("/sys/class/block/" + name + "/dev");
  const auto colon = dev.find(':');
  if (colon == std::string::npos) {
    return false;
  }
  major = static_cast<unsigned>(std::strtoul(dev.substr(0, colon).c_str(), nullptr, 10));
  minor = static_cast<unsigned>(std::strtoul(dev.substr(colon + 1).c_str(), nullptr, 10));
  return true;
}

std::vector<std::string> holders_of(const std::string &name) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator("/sys/class/block/" + name + "/holders", ec)) {
    out.push_back(e.path().filename().string());
  }
  return out;
}

std::string parent_disk(const std::string &name) {
  std::error_code ec;
  const fs::path sys = "/sys/class/block/" + name;
  if (!fs::exists(sys / "partition", ec)) {
    return {};
  }
  const auto real = fs::canonical(sys, ec);
  return ec ? std::string{} : real.parent_path().filename().string();
}

std::vector<std::string> loops_backed_by(std::uint64_t dev, std::uint64_t ino) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator("/sys/block", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("loop", 0) != 0) {
      continue;
    }
    // backing_file is only a name: compare the file it names by identity.
    std::string file = read_sys_line((e.path() / "loop" / "backing_file").string());
    if (file.empty()) {
      continue;
    }
    struct stat st {};
    if (const auto del = file.rfind(" (deleted)"); del != std::string::npos) {
      file.resize(del);
    }
    if (::stat(file.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_dev) == dev &&
        static_cast<std::uint64_t>(st.st_ino) == ino) {
      out.push_back("/dev/" + name);
    }
  }
  return out;
}

} // namespace kvmr::target
