// The two places of the old host that hold password hashes, read without
// keeping them: root's /etc/shadow field becomes a state and an algorithm
// name; anaconda-ks.cfg lines lose their password arguments.
#pragma once

#include "rescue/scan/host_profile.hpp"

#include <string>
#include <string_view>

namespace kvmr::scan {

// Root's second /etc/shadow field -> hash (with algorithm) / locked / empty.
RootPassword classify_password_field(std::string_view field);

// A kickstart line with every password value replaced by "<redacted>":
// rootpw's argument, --password=/--password of user, bootloader, sshpw.
std::string redact_kickstart_line(std::string_view line);

} // namespace kvmr::scan
