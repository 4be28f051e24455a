// The ways into the rebuilt host, as kickstart lines: `rootpw` (the old or
// a new crypt hash, else locked), one `user` line per admin account of the
// old host, and the %post lines installing every authorized_keys file and
// the /etc/sudoers.d files with their exact bytes (write_file_lines, so a
// key's options or a sudoers line cannot end the section or a quote).
// A kickstart that lets nobody in is refused unless the profile allows it.
#pragma once

#include "kickstart/profile.hpp"

#include <string>
#include <vector>

namespace kvmr::kickstart {

// Throws InputError naming the account and what is wrong: a hash outside
// crypt(3)'s alphabet, a name or group useradd refuses, a key with a line
// break, a sudoers.d name sudo would skip; or, unless allow_no_login, no
// way in at all (with the options that give one).
void check_logins(const Profile &p);

// True when root has a hash or a key, or an admin account has either.
bool has_way_in(const Profile &p);

// `rootpw` and `user` commands.
std::vector<std::string> login_commands(const Profile &p);

// %post lines: root's and each account's authorized_keys (0600, in a
// 0700 .ssh owned by the account), the gecos field, the sudoers.d files
// (0440, each checked by `visudo -c` and moved aside when it fails).
std::vector<std::string> login_post_lines(const Profile &p);

// The first line of FILE as one authorized_keys line for root (a public
// key, "ssh-...", "ecdsa-..." or "sk-..."). Throws InputError naming FILE.
std::string read_public_key(const std::string &file);

} // namespace kvmr::kickstart
