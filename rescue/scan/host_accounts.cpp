// The old host's ways in (see host_accounts.hpp).
#include "rescue/scan/host_accounts.hpp"

#include "rescue/scan/host_path.hpp"
#include "rescue/scan/host_profile_read.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <sstream>

namespace kvmr::scan {
namespace {

constexpr std::uint64_t kMaxKeysBytes = std::uint64_t{256} << 10U;

std::vector<std::string> split(std::string_view line, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(sep, start);
    out.emplace_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return out;
    }
    start = end + 1;
  }
}

// Each line of FILE's TEXT split at ':' (a CR at the end dropped).
std::vector<std::vector<std::string>> colon_lines(const std::string &text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (!line.empty() && line.front() != '#') {
      out.push_back(split(line, ':'));
    }
  }
  return out;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

struct Databases {
  std::vector<std::vector<std::string>> passwd, group;
  std::map<std::string, std::string> shadow; // name -> second field
};

Databases read_databases(io::SourceTree &tree, std::vector<SourceNote> &notes) {
  Databases db;
  const auto read = [&](const char *path) {
    // Missing: quiet (root's password reader already notes /etc/shadow).
    return colon_lines(detail::read_text(tree, path, notes, detail::IfMissing::quiet).value_or(""));
  };
  db.passwd = read("/etc/passwd");
  db.group = read("/etc/group");
  for (const auto &f : read("/etc/shadow")) {
    if (f.size() >= 2) {
      db.shadow.emplace(f[0], f[1]);
    }
  }
  return db;
}

// FIELD from /etc/shadow for USER as a hash a kickstart may carry; "" when
// locked, empty or not a crypt hash (with a note).
std::string usable_hash(const Databases &db, const std::string &user,
                        std::vector<SourceNote> &notes) {
  const auto it = db.shadow.find(user);
  if (it == db.shadow.end() || it->second.empty() || it->second.front() == '!' ||
      it->second.front() == '*') {
    return {};
  }
  if (!is_crypt_hash(it->second)) {
    notes.push_back({"/etc/shadow", 0,
                     fmt::format("{}'s password field is not a crypt hash a kickstart can carry: "
                                 "not carried over",
                                 user)});
    return {};
  }
  return it->second;
}

std::vector<std::string> read_keys(io::SourceTree &tree, const std::string &home,
                                   std::vector<SourceNote> &notes) {
  std::vector<std::string> keys;
  if (home.empty() || home.front() != '/') {
    return keys;
  }
  const std::string path = resolve(home, ".ssh/authorized_keys");
  const auto text = detail::read_text(tree, path, notes, detail::IfMissing::quiet, kMaxKeysBytes);
  std::istringstream in(text.value_or(""));
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    const std::string t = detail::trim(line);
    if (t.empty() || t.front() == '#') {
      continue;
    }
    if (has_control(t)) {
      notes.push_back({path, n, "a key line with control characters: not carried over"});
      continue;
    }
    keys.push_back(t);
  }
  return keys;
}

// The groups listing USER, and whether one of them (or PRIMARY_GID) is wheel.
std::vector<std::string> groups_of(const Databases &db, const std::string &user) {
  std::vector<std::string> out;
  for (const auto &g : db.group) {
    if (g.size() >= 4) {
      const auto members = split(g[3], ',');
      if (std::find(members.begin(), members.end(), user) != members.end()) {
        out.push_back(g[0]);
      }
    }
  }
  return out;
}

std::string wheel_gid(const Databases &db) {
  for (const auto &g : db.group) {
    if (g.size() >= 3 && g[0] == "wheel") {
      return g[2];
    }
  }
  return {};
}

void read_admins(io::SourceTree &tree, const Databases &db, HostAccounts &a) {
  const std::string wheel = wheel_gid(db);
  for (const auto &p : db.passwd) {
    if (p.size() < 7 || p[0] == "root") {
      continue;
    }
    std::vector<std::string> groups = groups_of(db, p[0]);
    const bool admin = std::find(groups.begin(), groups.end(), "wheel") != groups.end() ||
                       (!wheel.empty() && p[3] == wheel);
    if (!admin) {
      continue;
    }
    if (!is_valid_user_name(p[0]) || has_control(p[4])) {
      a.notes.push_back({"/etc/passwd", 0,
                         fmt::format("wheel member \"{}\": a name or full name the new host "
                                     "cannot take: not carried over",
                                     p[0])});
      continue;
    }
    if (std::find(groups.begin(), groups.end(), "wheel") == groups.end()) {
      groups.insert(groups.begin(), "wheel");
    }
    groups.erase(std::remove_if(groups.begin(), groups.end(),
                                [](const std::string &g) { return !is_valid_user_name(g); }),
                 groups.end());
    a.admins.push_back(AdminAccount{p[0], p[4], usable_hash(db, p[0], a.notes), groups,
                                    read_keys(tree, p[5], a.notes)});
  }
}

void read_sudoers(io::SourceTree &tree, HostAccounts &a) {
  const std::string dir = "/etc/sudoers.d";
  const auto st = tree.lstat(dir);
  if (!st || st->type != io::FileType::directory) {
    return;
  }
  for (const auto &e : tree.list(dir)) {
    if (e.type != io::FileType::regular || !is_sudoers_name(e.name)) {
      continue;
    }
    if (auto text = detail::read_text(tree, dir + "/" + e.name, a.notes)) {
      a.sudoers.push_back({e.name, std::move(*text)});
    }
  }
}

} // namespace

bool is_valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 32) {
    return false;
  }
  const auto lower = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  if (!lower(name.front())) {
    return false;
  }
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return lower(c) || (c >= '0' && c <= '9') || c == '-'; });
}

bool is_sudoers_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

bool is_crypt_hash(std::string_view field) {
  return field.size() > 3 && field.front() == '$' &&
         std::all_of(field.begin(), field.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '/' || c == '$';
         });
}

HostAccounts read_host_accounts(io::SourceTree &tree) {
  HostAccounts a;
  const Databases db = read_databases(tree, a.notes);
  a.root_hash = usable_hash(db, "root", a.notes);
  a.root_keys = read_keys(tree, "/root", a.notes);
  read_admins(tree, db, a);
  read_sudoers(tree, a);
  return a;
}

namespace {

std::string way_in(const std::string &hash, std::size_t keys) {
  std::vector<std::string> parts;
  if (!hash.empty()) {
    parts.emplace_back("password");
  }
  if (keys > 0) {
    parts.push_back(fmt::format("{} key{}", keys, keys == 1 ? "" : "s"));
  }
  return parts.empty() ? "no way in" : fmt::format("{}", fmt::join(parts, ", "));
}

} // namespace

std::string logins_summary(const Logins &a) {
  if (!a.any_way_in()) {
    return "none (no root password, no key, no wheel member with either)";
  }
  std::vector<std::string> parts{fmt::format("root ({})", way_in(a.root_hash, a.root_keys.size()))};
  for (const auto &u : a.admins) {
    parts.push_back(fmt::format("{} ({})", u.name, way_in(u.hash, u.ssh_keys.size())));
  }
  std::string out = fmt::format("{}", fmt::join(parts, "; "));
  if (!a.sudoers.empty()) {
    std::vector<std::string> names;
    for (const auto &s : a.sudoers) {
      names.push_back(s.name);
    }
    out += fmt::format("; sudoers.d: {}", fmt::join(names, " "));
  }
  return out;
}

nlohmann::json to_json(const Logins &a) {
  nlohmann::json admins = nlohmann::json::array();
  for (const auto &u : a.admins) {
    admins.push_back({{"name", u.name},
                      {"password", u.hash.empty() ? "none" : "hash"},
                      {"groups", u.groups},
                      {"ssh_keys", u.ssh_keys.size()}});
  }
  nlohmann::json sudoers = nlohmann::json::array();
  for (const auto &s : a.sudoers) {
    sudoers.push_back(s.name);
  }
  return {{"root_password", a.root_hash.empty() ? "none" : "hash"},
          {"root_ssh_keys", a.root_keys.size()},
          {"admins", admins},
          {"sudoers", sudoers},
          {"way_in", a.any_way_in()}};
}

} // namespace kvmr::scan
