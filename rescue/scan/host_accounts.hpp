// The ways into the old host, read so the rebuilt host lets the same
// people in (issue 21): root's password hash and authorized_keys, and the
// local admin accounts (members of `wheel`, as a default CentOS 7 install
// makes them) with their hashes, groups and keys, and /etc/sudoers.d.
//
// Secret material: the hashes live only in this value. to_json and every
// text for people give names, states and counts, never a hash or a key.
// What could end a kickstart line or quote is refused here already: a
// hash is kept only in crypt(3)'s alphabet, a key line only without
// control characters, a user only under useradd's name rule; anything
// else is left out with a note naming the file.
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/scan/logins.hpp"
#include "rescue/scan/source_note.hpp"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kvmr::scan {

// Logins (logins.hpp) and what was left out, with why.
struct HostAccounts : Logins {
  std::vector<SourceNote> notes;
};

HostAccounts read_host_accounts(io::SourceTree &tree);

// Names, states and counts only.
nlohmann::json to_json(const Logins &a);

// For people, names and counts only: "root (password, 1 key); alice
// (password, 2 keys); sudoers.d: 10-admins", or "none ..." when nothing
// lets anyone in.
std::string logins_summary(const Logins &a);

// useradd's rule for a name (and what kickstart's `user --name` takes).
bool is_valid_user_name(std::string_view name);
// A file name in /etc/sudoers.d that sudo reads (it skips names with '.'
// or ending in '~', editor and package files) and a %post writes plainly.
bool is_sudoers_name(std::string_view name);
// A crypt(3) hash a kickstart can carry: "$id$...", only [A-Za-z0-9./$].
bool is_crypt_hash(std::string_view field);

} // namespace kvmr::scan
