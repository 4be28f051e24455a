// qemu-img rebase -u, checked by reading the header back (see
// backing_rewrite.hpp).
#include "rescue/finish/backing_rewrite.hpp"

#include "rescue/scan/image_format.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace kvmr::finish {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

} // namespace

scan::Qcow2Header read_qcow2_header(const std::string &path) {
  const UniqueFd fd = open_read_only(path);
  auto head = read_bytes(fd.get(), path, 0, scan::qcow2_first_read);
  if (scan::sniff_format(head) != scan::ImageFormat::qcow2) {
    throw InputError(fmt::format("{}: not a qcow2 image ({})", path,
                                 scan::format_name(scan::sniff_format(head))));
  }
  auto h = scan::parse_qcow2_header(head, path, head.size() < scan::qcow2_first_read);
  if (!h.complete()) {
    head = read_bytes(fd.get(), path, 0, h.need_prefix);
    h = scan::parse_qcow2_header(head, path, head.size() < h.need_prefix);
    if (!h.complete()) {
      throw InputError(path + ": qcow2 header: still incomplete after a second read");
    }
  }
  return h;
}

void set_backing_name(const std::string &image, const std::string &new_name,
                      const std::string &new_format, CommandRunner *runner) {
  if (new_name.empty()) {
    // `rebase -u -b ""` would cut the overlay off its base: its data would
    // silently read as zeros where the base held it.
    throw InputError(fmt::format("{}: refusing to set an empty backing file name", image));
  }
  if (new_name.size() > scan::qcow2_max_backing_name) {
    throw InputError(fmt::format("{}: backing file name of {} bytes is longer than qemu's {}",
                                 image, new_name.size(), scan::qcow2_max_backing_name));
  }
  const auto before = read_qcow2_header(image);
  const std::string format = new_format.empty() ? before.backing_format : new_format;

  // An absolute path: qemu-img would take "name:..." for a protocol and
  // "-..." for an option.
  const std::string abs = std::filesystem::absolute(image).string();
  std::vector<std::string> argv{"qemu-img", "rebase", "-q", "-u", "-f", "qcow2"};
  if (!format.empty()) {
    argv.insert(argv.end(), {"-F", format});
  }
  argv.insert(argv.end(), {"-b", new_name, abs});

  SystemCommandRunner system;
  CommandRunner &r = runner == nullptr ? system : *runner;
  const auto res = r.run(argv, std::chrono::minutes(5));
  if (res.not_found) {
    throw InputError(fmt::format(
        "{}: qemu-img is not installed: cannot set its backing file name to {}", image, new_name));
  }
  if (res.exit_code != 0) {
    throw InputError(
        fmt::format("{}: qemu-img rebase -u -b {} failed ({}): {}", image, new_name,
                    res.timed_out ? "timed out" : fmt::format("exit {}", res.exit_code),
                    trimmed(res.err + res.out)));
  }

  const auto after = read_qcow2_header(image);
  if (!after.backing_file || *after.backing_file != new_name) {
    throw InputError(fmt::format("{}: after qemu-img rebase the header names backing file '{}', "
                                 "not '{}'",
                                 image, after.backing_file.value_or(""), new_name));
  }
  if (!format.empty() && after.backing_format != format) {
    throw InputError(fmt::format("{}: after qemu-img rebase the header names backing format "
                                 "'{}', not '{}'",
                                 image, after.backing_format, format));
  }
  if (after.virtual_size != before.virtual_size) {
    throw InputError(fmt::format("{}: qemu-img rebase changed the virtual size ({} -> {})", image,
                                 before.virtual_size, after.virtual_size));
  }
}

} // namespace kvmr::finish
