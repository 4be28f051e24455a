// The ways in as kickstart lines (see logins.hpp).
#include "kickstart/logins.hpp"

#include "kickstart/ks_reader.hpp"
#include "kickstart/post.hpp"
#include "kickstart/render.hpp"
#include "kickstart/shell_quote.hpp"
#include "rescue/scan/host_accounts.hpp"
#include "rescue/scan/vm_name.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

namespace kvmr::kickstart {
namespace {

void check_hash(const std::string &who, const std::string &hash) {
  if (!hash.empty() && !scan::is_crypt_hash(hash)) {
    throw InputError(
        fmt::format("the password hash of {} is not a crypt(3) hash ($id$salt$...)", who));
  }
}

void check_keys(const std::string &who, const std::vector<std::string> &keys) {
  for (const auto &k : keys) {
    if (k.empty() || has_line_break_or_control(k)) {
      throw InputError(fmt::format("an SSH key of {} is empty or holds a line break or control "
                                   "character",
                                   who));
    }
  }
}

void check_account(const scan::AdminAccount &u) {
  if (!scan::is_valid_user_name(u.name)) {
    throw InputError(fmt::format("account \"{}\": not a name the installer's `user` command takes",
                                 scan::escaped_name(u.name)));
  }
  const std::string who = "account " + u.name;
  check_hash(who, u.hash);
  check_keys(who, u.ssh_keys);
  for (const auto &g : u.groups) {
    if (!scan::is_valid_user_name(g)) {
      throw InputError(
          fmt::format("{}: group \"{}\" is not a name groupadd takes", who, scan::escaped_name(g)));
    }
  }
  if (has_line_break_or_control(u.gecos) || u.gecos.find(':') != std::string::npos) {
    throw InputError(
        fmt::format("{}: its full name holds a line break, control character or ':'", who));
  }
}

void check_sudoers(const scan::SudoersFile &f) {
  if (!scan::is_sudoers_name(f.name)) {
    throw InputError(
        fmt::format("sudoers.d file \"{}\": not a name sudo reads", scan::escaped_name(f.name)));
  }
}

std::string keys_file(const std::vector<std::string> &keys) {
  std::string out;
  for (const auto &k : keys) {
    out += k + "\n";
  }
  return out;
}

// Lines installing KEYS as HOME/.ssh/authorized_keys for OWNER: the
// directory 0700 and the file 0600, both the owner's (sshd's StrictModes).
void add_keys(std::vector<std::string> &out, const std::string &owner, const std::string &home,
              const std::vector<std::string> &keys) {
  const std::string dir = home + "/.ssh";
  const std::string own = shell_quote(owner) + ":" + shell_quote(owner);
  out.push_back("install -d -m 0700 " + shell_quote(dir));
  for (auto &l : write_file_lines(dir + "/authorized_keys", keys_file(keys), "0600", false)) {
    out.push_back(std::move(l));
  }
  out.push_back("chown -R " + own + " " + shell_quote(dir));
  out.push_back("restorecon -R " + shell_quote(dir) + " || true");
}

} // namespace

bool has_way_in(const Profile &p) {
  return !p.root_hash.empty() || !p.root_keys.empty() ||
         std::any_of(p.admins.begin(), p.admins.end(), [](const scan::AdminAccount &u) {
           return !u.hash.empty() || !u.ssh_keys.empty();
         });
}

void check_logins(const Profile &p) {
  if (p.root == RootPolicy::hash && p.root_hash.empty()) {
    throw InputError("root password policy 'hash' needs a crypt(3) hash");
  }
  check_hash("root", p.root_hash);
  check_keys("root", p.root_keys);
  for (const auto &u : p.admins) {
    check_account(u);
  }
  for (const auto &f : p.sudoers) {
    check_sudoers(f);
  }
  if (!p.allow_no_login && !has_way_in(p)) {
    throw InputError(
        "this kickstart would leave no way into the new host: root has no password and no SSH "
        "key, and the old host had no admin account with either. Give one: "
        "--root-password-file FILE (a new root password, hashed here), --ssh-key FILE (a public "
        "key for root), or --root-password hash --root-password-hash HASH; or --allow-no-login "
        "to write it anyway");
  }
}

std::vector<std::string> login_commands(const Profile &p) {
  std::vector<std::string> out;
  out.push_back(p.root_hash.empty() ? "rootpw --lock" : "rootpw --iscrypted " + p.root_hash);
  for (const auto &u : p.admins) {
    std::string line = "user --name=" + u.name;
    if (!u.groups.empty()) {
      line += fmt::format(" --groups={}", fmt::join(u.groups, ","));
    }
    line += u.hash.empty() ? " --lock" : " --iscrypted --password=" + u.hash;
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<std::string> login_post_lines(const Profile &p) {
  std::vector<std::string> out;
  if (!p.root_keys.empty()) {
    add_keys(out, "root", "/root", p.root_keys);
  }
  for (const auto &u : p.admins) {
    if (!u.gecos.empty()) {
      out.push_back("usermod -c " + shell_quote(u.gecos) + " " + shell_quote(u.name) + " || true");
    }
    if (!u.ssh_keys.empty()) { // `user` makes the home /home/NAME
      add_keys(out, u.name, "/home/" + u.name, u.ssh_keys);
    }
  }
  for (const auto &f : p.sudoers) {
    const std::string path = "/etc/sudoers.d/" + f.name;
    for (auto &l : write_file_lines(path, f.content, "0440", false)) {
      out.push_back(std::move(l));
    }
    out.push_back("visudo -cf " + shell_quote(path) + " >/dev/null || { echo \"kvm-rescue: " +
                  path + " from the old host fails visudo -c: moved to /root\"; mv " +
                  shell_quote(path) + " " + shell_quote("/root/") + "; }");
  }
  return out;
}

std::string read_public_key(const std::string &file) {
  std::ifstream in(file);
  if (!in) {
    throw InputError(fmt::format("{}: cannot read the SSH public key", file));
  }
  std::string line;
  std::getline(in, line);
  const bool key =
      line.rfind("ssh-", 0) == 0 || line.rfind("ecdsa-", 0) == 0 || line.rfind("sk-", 0) == 0;
  if (!key || has_line_break_or_control(line)) {
    throw InputError(fmt::format("{}: the first line is not an SSH public key", file));
  }
  return line;
}

} // namespace kvmr::kickstart
