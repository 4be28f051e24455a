// sysfs and udev look-ups (see sysfs.hpp).
#include "rescue/disk/sysfs.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

namespace kvmr::disk {
namespace fs = std::filesystem;
namespace {

std::string read_attr(const fs::path &p) {
  std::ifstream in(p);
  std::string s;
  if (!in || !std::getline(in, s)) {
    return {};
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  const auto first = s.find_first_not_of(' ');
  return first == std::string::npos ? std::string{} : s.substr(first);
}

std::optional<bool> read_flag(const fs::path &p) {
  const std::string v = read_attr(p);
  if (v.empty()) {
    return std::nullopt;
  }
  return v != "0";
}

// udev's database entry: lines "E:KEY=VALUE".
std::string udev_property(const std::string &udev_data, dev_t rdev, const std::string &key) {
  std::ifstream in(udev_data + "/b" + std::to_string(major(rdev)) + ":" +
                   std::to_string(minor(rdev)));
  std::string line;
  const std::string prefix = "E:" + key + "=";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      return line.substr(prefix.size());
    }
  }
  return {};
}

std::string transport_of(const std::string &sys_device, const std::string &name) {
  if (name.rfind("loop", 0) == 0)
    return "loop";
  if (name.rfind("nvme", 0) == 0)
    return "nvme";
  if (name.rfind("sr", 0) == 0)
    return "optical";
  if (sys_device.find("/usb") != std::string::npos)
    return "usb";
  if (sys_device.find("/virtio") != std::string::npos)
    return "virtio";
  if (sys_device.find("/ata") != std::string::npos)
    return "sata";
  if (sys_device.find("/host") != std::string::npos)
    return "scsi";
  if (name.rfind("md", 0) == 0)
    return "md";
  if (name.rfind("dm-", 0) == 0)
    return "device-mapper";
  return {};
}

std::vector<std::string> by_id_links(const std::string &dev_dir, const fs::path &target) {
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path dir = fs::path(dev_dir) / "disk" / "by-id";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    const fs::path real = fs::canonical(it->path(), ec2);
    if (!ec2 && real == target) {
      out.push_back(it->path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

std::vector<std::string> list_block_devices(const SysPaths &paths) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(paths.sys) / "block", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("ram", 0) == 0 || name.rfind("zram", 0) == 0) {
      continue;
    }
    const std::string size = read_attr(it->path() / "size");
    if (size.empty() || size == "0") {
      continue;
    }
    out.push_back((fs::path(paths.dev) / name).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

DeviceInfo device_info(const std::string &dev_path, const SysPaths &paths) {
  DeviceInfo info;
  struct stat st {};
  if (::stat(dev_path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) {
    return info;
  }
  info.is_block_device = true;
  std::error_code ec;
  const fs::path sys_dev = fs::canonical(
      fs::path(paths.sys) / "dev" / "block" /
          (std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev))),
      ec);
  const std::string name = sys_dev.filename().string();
  std::error_code ec_dev;
  const std::string device_link = fs::canonical(sys_dev / "device", ec_dev).string();

  info.model = udev_property(paths.udev_data, st.st_rdev, "ID_MODEL");
  if (info.model.empty()) {
    info.model = read_attr(sys_dev / "device" / "model");
  }
  info.serial = udev_property(paths.udev_data, st.st_rdev, "ID_SERIAL_SHORT");
  if (info.serial.empty()) {
    info.serial = read_attr(sys_dev / "device" / "serial");
  }
  if (info.serial.empty()) {
    info.serial = read_attr(sys_dev / "serial"); // virtio-blk
  }
  info.transport = udev_property(paths.udev_data, st.st_rdev, "ID_BUS");
  if (info.transport.empty() || info.transport == "ata" || info.transport == "scsi") {
    const std::string t = transport_of(ec_dev ? sys_dev.string() : device_link, name);
    if (!t.empty()) {
      info.transport = t;
    }
  }
  info.rotational = read_flag(sys_dev / "queue" / "rotational");
  info.removable = read_flag(sys_dev / "removable");
  info.read_only = read_flag(sys_dev / "ro");
  info.loop_backing_file = read_attr(sys_dev / "loop" / "backing_file");
  std::error_code ec_real;
  const fs::path real_dev = fs::canonical(dev_path, ec_real);
  info.by_id = by_id_links(paths.dev, ec_real ? fs::path(dev_path) : real_dev);
  return info;
}

} // namespace kvmr::disk
