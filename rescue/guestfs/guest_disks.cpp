// Device names, root attribution and disk checks of guest inspection (see
// guest_disks.hpp).
#include "rescue/guestfs/guest_disks.hpp"

#include "rescue/util/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace kvmr::guestfs {
namespace {

constexpr std::array<std::string_view, 4> kDiskPrefixes = {"/dev/sd", "/dev/vd", "/dev/hd",
                                                           "/dev/xvd"};

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string first_line(std::string_view text) {
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) {
    text.remove_prefix(1);
  }
  return std::string(text.substr(0, text.find('\n')));
}

constexpr auto kQemuImgTimeout = std::chrono::seconds(60);

} // namespace

std::optional<std::size_t> disk_index_of(std::string_view device) {
  for (const auto prefix : kDiskPrefixes) {
    if (!device.starts_with(prefix)) {
      continue;
    }
    std::string_view rest = device.substr(prefix.size());
    std::size_t letters = 0;
    while (letters < rest.size() && is_lower(rest[letters])) {
      ++letters;
    }
    // Letters, then nothing or a partition number; at most 3 letters
    // (sdzzz is 18277 disks; more would overflow nothing but is nonsense).
    if (letters == 0 || letters > 3 ||
        !std::all_of(rest.begin() + static_cast<std::ptrdiff_t>(letters), rest.end(), is_digit)) {
      return std::nullopt;
    }
    // Bijective base 26: a=1 .. z=26, aa=27; the index is one less.
    std::size_t value = 0;
    for (std::size_t i = 0; i < letters; ++i) {
      value = value * 26 + static_cast<std::size_t>(rest[i] - 'a' + 1);
    }
    return value - 1;
  }
  return std::nullopt;
}

std::string_view device_of_mountable(std::string_view mountable) {
  constexpr std::string_view btrfs = "btrfsvol:";
  if (!mountable.starts_with(btrfs)) {
    return mountable;
  }
  mountable.remove_prefix(btrfs.size());
  // "/dev/sda2/root": the device is the first two components.
  const auto slash = mountable.find('/', std::string_view("/dev/").size());
  return slash == std::string_view::npos ? mountable : mountable.substr(0, slash);
}

std::optional<std::string> lv_volume_group(std::string_view device) {
  constexpr std::string_view dev = "/dev/";
  if (!device.starts_with(dev)) {
    return std::nullopt;
  }
  const std::string_view rest = device.substr(dev.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size() ||
      rest.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view vg = rest.substr(0, slash);
  for (const std::string_view not_vg : {"mapper", "md", "disk", "block", "cciss"}) {
    if (vg == not_vg) {
      return std::nullopt;
    }
  }
  return std::string(vg);
}

RootAttribution attribute_roots(const std::vector<FoundRoot> &roots,
                                const std::vector<std::size_t> &vm_of_disk, std::size_t vm_count) {
  RootAttribution out;
  out.roots_of_vm.resize(vm_count);
  std::set<std::size_t> vms_present(vm_of_disk.begin(), vm_of_disk.end());
  const bool single_vm = vms_present.size() == 1;

  // Order of preference: lowest disk index first (unplaced roots last),
  // then inspect_os' own order.
  std::vector<std::size_t> order(roots.size());
  std::iota(order.begin(), order.end(), 0);
  const auto first_disk = [&](std::size_t r) {
    const auto &d = roots[r].disks;
    return d.empty() ? vm_of_disk.size() : *std::min_element(d.begin(), d.end());
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return first_disk(a) < first_disk(b); });

  for (const std::size_t r : order) {
    std::set<std::size_t> vms;
    bool known = !roots[r].disks.empty();
    for (const std::size_t d : roots[r].disks) {
      if (d < vm_of_disk.size()) {
        vms.insert(vm_of_disk[d]);
      } else {
        known = false;
      }
    }
    if (single_vm) {
      out.roots_of_vm[*vms_present.begin()].push_back(r);
    } else if (known && vms.size() == 1) {
      out.roots_of_vm[*vms.begin()].push_back(r);
    } else {
      out.unplaced.push_back(r);
    }
  }
  return out;
}

DiskCheck parse_backing_chain(std::string_view json) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception &e) {
    throw InputError(std::string("qemu-img info: output is not JSON: ") + e.what());
  }
  if (!doc.is_array() || doc.empty()) {
    throw InputError("qemu-img info --backing-chain: expected a non-empty array");
  }
  DiskCheck out;
  out.usable = true;
  for (const auto &member : doc) {
    if (!member.is_object() || !member.contains("filename") || !member["filename"].is_string()) {
      throw InputError("qemu-img info --backing-chain: a member without a filename");
    }
    out.chain.push_back(member["filename"].get<std::string>());
    const auto backing = member.find("backing-filename");
    if (backing != member.end() && backing->is_string() &&
        backing->get<std::string>().starts_with('/')) {
      out.notes.push_back(out.chain.back() + " names its backing file by the absolute path " +
                          backing->get<std::string>() +
                          ": the file at that path on this "
                          "machine was opened");
    }
  }
  return out;
}

std::optional<std::string> first_outside(const std::vector<std::string> &files,
                                         const std::string &root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  for (const auto &f : files) {
    const fs::path real = fs::weakly_canonical(f, ec);
    if (ec || base.empty()) {
      return f;
    }
    const auto [b, r] = std::mismatch(base.begin(), base.end(), real.begin(), real.end());
    if (b != base.end()) {
      return f;
    }
  }
  return std::nullopt;
}

namespace {

std::string leads_out(const std::string &file, const std::string &root) {
  return file + " leads out of the old host's tree (" + root +
         ") to this machine's own files through a symbolic link; not opened";
}

// CHECK made unusable when a file of its chain leads out of ROOT.
DiskCheck confined(DiskCheck check, const std::string &root) {
  if (root.empty() || !check.usable) {
    return check;
  }
  if (const auto out = first_outside(check.chain, root)) {
    check.usable = false;
    check.problem = leads_out(*out, root);
  }
  return check;
}

} // namespace

DiskCheck check_disk(CommandRunner &runner, const std::string &path, const std::string &format,
                     const std::string &root) {
  DiskCheck out;
  if (!root.empty()) {
    if (const auto outside = first_outside({path}, root)) {
      out.problem = leads_out(path, root);
      return out;
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || ::access(path.c_str(), R_OK) != 0) {
    out.problem = path + ": " + std::strerror(errno);
    return out;
  }
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    out.problem = path + ": not a regular file or block device";
    return out;
  }
  if (format == "raw") {
    out.usable = true;
    out.chain.push_back(path);
    return out;
  }
  const auto chain = runner.run(
      {"qemu-img", "info", "--force-share", "--backing-chain", "--output=json", "-f", format, path},
      kQemuImgTimeout);
  if (chain.not_found) {
    out.problem = "qemu-img is not installed: cannot check the backing chain of " + path;
    return out;
  }
  if (chain.exit_code == 0) {
    try {
      return confined(parse_backing_chain(chain.out), root);
    } catch (const InputError &e) {
      out.problem = path + ": " + e.what();
      return out;
    }
  }
  out.problem = path + ": qemu-img cannot open it with its backing chain: " + first_line(chain.err);
  // Which backing name was it? The top alone opens without its chain.
  const auto top = runner.run(
      {"qemu-img", "info", "--force-share", "--output=json", "-f", format, path}, kQemuImgTimeout);
  if (top.exit_code != 0) {
    return out;
  }
  try {
    const auto doc = nlohmann::json::parse(top.out);
    const auto name = doc.value("backing-filename", std::string());
    if (name.starts_with('/')) {
      out.problem += " (its backing file is named by the absolute path " + name +
                     ", the old host's own path, which this machine does not have; only a "
                     "relative backing name resolves inside a mounted tree)";
    }
  } catch (const nlohmann::json::exception &) { // NOLINT(bugprone-empty-catch): explanation only
  }
  return out;
}

} // namespace kvmr::guestfs
