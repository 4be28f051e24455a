// The one rule for a VM name read from the old disk that libvirt would
// refuse or that would break a line: control characters (C0, DEL, C1,
// U+2028/U+2029), bytes that are not UTF-8 and '/' become '_'. The VM
// is still rescued, under that safe name: scan shows it (and the name
// it had), and the plan, the copied domain XML (<name>), its NVRAM
// default path (NAME_VARS.fd), autostart, snapshots, --vm and the
// reports all use it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

// RAW with the rule applied; RAW itself when nothing needed changing.
std::string safe_vm_name(std::string_view raw);

bool is_safe_vm_name(std::string_view raw);

// SAFE, or SAFE-2, SAFE-3, ... : the first not in TAKEN.
std::string unique_vm_name(const std::string &safe, const std::vector<std::string> &taken);

// RAW readable in a message: control characters as \xNN (also for the
// kickstart's refusals of old-disk values).
std::string escaped_name(std::string_view raw);

} // namespace kvmr::scan
