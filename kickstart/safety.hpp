// The check every kickstart passes before it is written: no disk that
// holds rescued data (every PV or md member disk of an LVM/md data
// volume included) may fall under clearpart, zerombr, autopart or a
// formatting part/logvol; the data VG and md array appear only with
// --noformat (volgroup, logvol, raid); clearpart must name its drives. It reads the
// rendered text itself (not the Profile that made it), so a renderer bug
// cannot slip past it.
#pragma once

#include "kickstart/profile.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kvmr::kickstart {

// Every violation in plain words; empty: safe.
std::vector<std::string> check_safety(std::string_view ks_text, const Profile &p);

// A kickstart line split the way pykickstart does (POSIX shell words,
// double quotes with \" and \\, '#' comments).
std::vector<std::string> split_ks_line(std::string_view line);

} // namespace kvmr::kickstart
