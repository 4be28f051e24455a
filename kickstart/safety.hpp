// The check every kickstart passes before it is written: no disk that
// holds rescued data (every PV or md member disk of an LVM/md data
// volume included) may fall under clearpart, zerombr, autopart or a
// formatting part/logvol; the data VG and md array appear only with
// --noformat (volgroup, logvol, raid); clearpart must name its drives;
// no %include or %ksappend. It reads the rendered text itself (not the
// Profile that made it) the way pykickstart reads it (ks_reader.hpp), so
// a renderer bug cannot slip past it. check_structure compares that
// reading with what the generator meant (ks_doc.hpp).
#pragma once

#include "kickstart/ks_reader.hpp"
#include "kickstart/profile.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kvmr::kickstart {

// Every violation in plain words; empty: safe.
std::vector<std::string> check_safety(std::string_view ks_text, const Profile &p);

// Every difference between the commands and sections pykickstart reads in
// KS_TEXT and INTENDED (the first one, or a count); empty: the same.
std::vector<std::string> check_structure(std::string_view ks_text,
                                         const std::vector<KsElement> &intended);

// A kickstart line split the way pykickstart does (POSIX shell words,
// double quotes with \" and \\, '#' comments).
std::vector<std::string> split_ks_line(std::string_view line);

} // namespace kvmr::kickstart
