// The old host's ways in (issue 21): root's crypt hash and
// authorized_keys, the local admin accounts (wheel members) with their
// hashes, groups and keys, and the /etc/sudoers.d files. Read by
// read_host_accounts (host_accounts.hpp), carried by the plan to the
// rebuilt host's kickstart.
//
// Secret material. It may appear in the answer file (0600), the kickstart
// (0600, and the OEMDRV volume) and nowhere else: scan output, `plan
// --json`, the plan text, reports and logs show names and counts.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace kvmr::scan {

struct AdminAccount {
  std::string name;
  std::string gecos;                 // the full name field
  std::string hash;                  // crypt hash; "" when locked or empty
  std::vector<std::string> groups;   // supplementary groups, wheel among them
  std::vector<std::string> ssh_keys; // ~/.ssh/authorized_keys lines
  friend bool operator==(const AdminAccount &, const AdminAccount &) = default;
};

struct SudoersFile {
  std::string name;    // "10-admins" (in /etc/sudoers.d)
  std::string content; // as it was
  friend bool operator==(const SudoersFile &, const SudoersFile &) = default;
};

struct Logins {
  std::string root_hash;              // "" when locked, empty or unknown
  std::vector<std::string> root_keys; // /root/.ssh/authorized_keys lines
  std::vector<AdminAccount> admins;   // wheel members, in /etc/passwd order
  std::vector<SudoersFile> sudoers;
  friend bool operator==(const Logins &, const Logins &) = default;

  // True when an admin account has a password or a key.
  [[nodiscard]] bool admin_way_in() const {
    return std::any_of(admins.begin(), admins.end(), [](const AdminAccount &u) {
      return !u.hash.empty() || !u.ssh_keys.empty();
    });
  }
  // True when someone could log in with these (a password or a key).
  [[nodiscard]] bool any_way_in() const {
    return !root_hash.empty() || !root_keys.empty() || admin_way_in();
  }
};

} // namespace kvmr::scan
