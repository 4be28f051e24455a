// /etc/libvirt/qemu.conf: the settings the old host's administrator changed
// (every uncommented "key = value"), so the rescue can show them and the new
// host can be given the same (user/group, security_driver, nvram, ...).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

struct QemuConfSetting {
  std::string key;
  std::string value; // as written, trimmed: "\"root\"", "0", "[ \"a\", \"b\" ]"
  int line = 0;      // where the setting starts
};

// Parses libvirt's config syntax as far as qemu.conf uses it: "#" comments
// (outside double quotes), one "key = value" per line, a list value in [ ]
// possibly spread over several lines. A line that is no setting adds a
// warning "FILE:LINE: ..." to WARNINGS and is skipped.
std::vector<QemuConfSetting> parse_qemu_conf(std::string_view text, const std::string &file,
                                             std::vector<std::string> &warnings);

} // namespace kvmr::scan
