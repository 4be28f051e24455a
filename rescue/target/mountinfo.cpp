// sysfs block-device relations (see mountinfo.hpp).
#include "rescue/target/mountinfo.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace kvmr::target {
namespace fs = std::filesystem;

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
