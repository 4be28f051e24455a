// read_host_profile (see host_profile.hpp): hostname, OS release, time zone,
// locale and keyboard, SELinux and fstab here; network, services and the
// password-bearing files in host_network.cpp, host_services.cpp and
// host_secrets.cpp.
#include "rescue/scan/host_profile.hpp"

#include "rescue/scan/host_profile_read.hpp"
#include "rescue/scan/shell_assign.hpp"

#include <exception>
#include <sstream>

namespace kvmr::scan {
namespace detail {

std::string trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && blank(s.back())) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

std::optional<std::string> read_text(io::SourceTree &tree, const std::string &path,
                                     std::vector<SourceNote> &notes, IfMissing if_missing,
                                     std::uint64_t max_bytes) {
  try {
    const auto st = tree.lstat(path);
    if (!st) {
      if (if_missing == IfMissing::note) {
        notes.push_back(SourceNote{path, 0, "not found"});
      }
      return std::nullopt;
    }
    if (st->type == io::FileType::directory) {
      notes.push_back(SourceNote{path, 0, "is a directory, not a file"});
      return std::nullopt;
    }
    return tree.read_file(path, max_bytes);
  } catch (const std::exception &e) {
    notes.push_back(SourceNote{path, 0, std::string("cannot be read: ") + e.what()});
    return std::nullopt;
  }
}

std::optional<ShellAssignments> read_shell(io::SourceTree &tree, const std::string &path,
                                           std::vector<SourceNote> &notes, IfMissing if_missing) {
  const auto text = read_text(tree, path, notes, if_missing);
  if (!text) {
    return std::nullopt;
  }
  ShellAssignments vars = parse_shell_assignments(*text, path);
  notes.insert(notes.end(), vars.warnings.begin(), vars.warnings.end());
  return vars;
}

} // namespace detail

namespace {

using detail::IfMissing;
using detail::read_shell;
using detail::read_text;
using detail::trim;

// The first line that is neither blank nor a comment.
std::string first_line(const std::string &text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (!t.empty() && t.front() != '#') {
      return t;
    }
  }
  return {};
}

HostnameInfo read_hostname(io::SourceTree &tree, const ShellAssignments *sysconfig,
                           const NetworkProfile &net, std::vector<SourceNote> &notes) {
  std::vector<SourceNote> quiet;
  if (const auto text = read_text(tree, "/etc/hostname", quiet)) {
    if (std::string name = first_line(*text); !name.empty()) {
      return HostnameInfo{std::move(name), "/etc/hostname", false};
    }
    quiet.push_back(SourceNote{"/etc/hostname", 0, "empty"});
  }
  notes.insert(notes.end(), quiet.begin(), quiet.end());
  if (sysconfig != nullptr) {
    if (std::string name = sysconfig->get("HOSTNAME"); !name.empty()) {
      return HostnameInfo{std::move(name), "/etc/sysconfig/network", false};
    }
  }
  for (const HostInterface &i : net.interfaces) {
    if (!i.hostname.empty()) {
      return HostnameInfo{i.hostname, i.file, false};
    }
  }
  notes.push_back(SourceNote{"/etc/hostname", 0,
                             "no file names the host; \"localhost.localdomain\" is a fallback"});
  return HostnameInfo{"localhost.localdomain", "fallback", true};
}

OsRelease read_os(io::SourceTree &tree, std::vector<SourceNote> &notes) {
  OsRelease os;
  std::vector<SourceNote> quiet;
  for (const char *f : {"/etc/centos-release", "/etc/redhat-release", "/etc/system-release"}) {
    if (const auto text = read_text(tree, f, quiet, IfMissing::quiet)) {
      os.release_line = first_line(*text);
      os.release_file = f;
      break;
    }
  }
  if (os.release_file.empty()) {
    notes.insert(notes.end(), quiet.begin(), quiet.end());
    notes.push_back(SourceNote{"/etc/redhat-release", 0, "no release file found"});
  }
  if (const auto vars = read_shell(tree, "/etc/os-release", notes)) {
    os.id = vars->get("ID");
    os.version_id = vars->get("VERSION_ID");
    os.name = vars->get("NAME");
    os.pretty_name = vars->get("PRETTY_NAME");
  }
  return os;
}

// The zone name in a link target: ".../zoneinfo/Asia/Tokyo" -> "Asia/Tokyo".
std::string zone_from_link(const std::string &target) {
  const auto pos = target.rfind("zoneinfo/");
  if (pos == std::string::npos) {
    return {};
  }
  std::string zone = target.substr(pos + 9);
  for (const char *sub : {"posix/", "right/"}) {
    if (zone.rfind(sub, 0) == 0) {
      zone = zone.substr(6);
    }
  }
  return zone;
}

bool plausible_zone(const std::string &z) {
  return !z.empty() && z.front() != '/' && z.find("..") == std::string::npos;
}

// The time zone named by the kickstart's "timezone" line, if any.
std::string kickstart_zone(const KickstartInfo &ks) {
  for (const std::string &line : ks.lines) {
    std::istringstream in(line);
    std::string word;
    in >> word;
    if (word != "timezone") {
      continue;
    }
    while (in >> word) {
      if (word.rfind("--", 0) != 0) {
        return word;
      }
    }
  }
  return {};
}

TimeZoneInfo read_timezone(io::SourceTree &tree, const KickstartInfo &ks,
                           std::vector<SourceNote> &notes) {
  TimeZoneInfo tz;
  const std::string lt = "/etc/localtime";
  const auto clock = read_shell(tree, "/etc/sysconfig/clock", notes, IfMissing::quiet);
  const std::string clock_zone = clock ? clock->get("ZONE") : std::string();
  if (clock && clock->has("UTC")) {
    tz.utc = parse_shell_bool(clock->get("UTC"));
  }
  if (const auto adj = read_text(tree, "/etc/adjtime", notes, IfMissing::quiet)) {
    std::istringstream in(*adj);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (n == 3 && (trim(line) == "UTC" || trim(line) == "LOCAL")) {
        tz.utc = trim(line) == "UTC";
      }
    }
  }
  std::optional<io::FileStat> st;
  try {
    st = tree.lstat(lt);
    if (st && st->type == io::FileType::symlink) {
      const std::string target = tree.readlink(lt);
      if (std::string zone = zone_from_link(target); plausible_zone(zone)) {
        tz.name = std::move(zone);
        tz.source = lt + " -> " + target;
        return tz;
      }
      notes.push_back(SourceNote{lt, 0, "symlink to " + target + " does not name a zone"});
    } else if (st && st->type == io::FileType::regular) {
      const std::string sum = tree.sha256(lt);
      for (const std::string &c : {clock_zone, kickstart_zone(ks)}) {
        const std::string zf = "/usr/share/zoneinfo/" + c;
        if (plausible_zone(c) && tree.lstat(zf) && tree.sha256(zf) == sum) {
          tz.name = c;
          tz.source = lt + " (same content as " + zf + ")";
          return tz;
        }
      }
      notes.push_back(SourceNote{
          lt, 0, "a copy of a zone file, not a link; its zone cannot be named from the copy"});
    } else if (!st) {
      notes.push_back(SourceNote{lt, 0, "not found"});
    } else {
      notes.push_back(SourceNote{lt, 0, "neither a symlink nor a regular file"});
    }
  } catch (const std::exception &e) {
    notes.push_back(SourceNote{lt, 0, std::string("cannot be read: ") + e.what()});
  }
  if (!clock_zone.empty()) {
    tz.name = clock_zone;
    tz.source = "/etc/sysconfig/clock";
    notes.push_back(
        SourceNote{"/etc/sysconfig/clock", clock->line_of("ZONE"),
                   "time zone " + clock_zone + " taken from ZONE, unconfirmed by /etc/localtime"});
  }
  return tz;
}

std::string xkb_layout(const std::string &text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t.front() == '#' || t.find("\"XkbLayout\"") == std::string::npos) {
      continue;
    }
    // Option "XkbLayout" "jp": the last quoted string.
    const auto close = t.rfind('"');
    const auto open = close == 0 ? std::string::npos : t.rfind('"', close - 1);
    if (open != std::string::npos && close > open) {
      return t.substr(open + 1, close - open - 1);
    }
  }
  return {};
}

LocaleInfo read_locale(io::SourceTree &tree, std::vector<SourceNote> &notes) {
  LocaleInfo loc;
  auto vars = read_shell(tree, "/etc/locale.conf", notes);
  if (!vars) {
    vars = read_shell(tree, "/etc/sysconfig/i18n", notes, IfMissing::quiet);
  }
  if (vars) {
    loc.lang = vars->get("LANG");
    for (const auto &[k, v] : vars->values) {
      if (k.rfind("LC_", 0) == 0) {
        loc.lc[k] = v;
      }
    }
  }
  if (const auto vc = read_shell(tree, "/etc/vconsole.conf", notes)) {
    loc.keymap = vc->get("KEYMAP");
    loc.font = vc->get("FONT");
  } else if (const auto kb = read_shell(tree, "/etc/sysconfig/keyboard", notes, IfMissing::quiet)) {
    loc.keymap = kb->get("KEYTABLE");
  }
  if (const auto x =
          read_text(tree, "/etc/X11/xorg.conf.d/00-keyboard.conf", notes, IfMissing::quiet)) {
    loc.x11_layout = xkb_layout(*x);
  }
  return loc;
}

SelinuxInfo read_selinux(io::SourceTree &tree, std::vector<SourceNote> &notes) {
  SelinuxInfo s;
  if (const auto vars = read_shell(tree, "/etc/selinux/config", notes)) {
    s.mode = vars->get("SELINUX");
    s.type = vars->get("SELINUXTYPE");
    if (s.mode != "enforcing" && s.mode != "permissive" && s.mode != "disabled") {
      notes.push_back(SourceNote{"/etc/selinux/config", vars->line_of("SELINUX"),
                                 "unexpected SELINUX mode: \"" + s.mode + "\""});
    }
  }
  return s;
}

} // namespace

const char *to_string(RootPasswordState s) {
  switch (s) {
  case RootPasswordState::hash: return "hash";
  case RootPasswordState::locked: return "locked";
  case RootPasswordState::empty: return "empty";
  case RootPasswordState::unknown: return "unknown";
  }
  return "unknown";
}

HostProfile read_host_profile(io::SourceTree &tree) {
  HostProfile p;
  const auto sysconfig = read_shell(tree, "/etc/sysconfig/network", p.notes);
  p.network = detail::read_network(tree, sysconfig ? &*sysconfig : nullptr, p.notes);
  p.hostname = read_hostname(tree, sysconfig ? &*sysconfig : nullptr, p.network, p.notes);
  p.os = read_os(tree, p.notes);
  p.kickstart = detail::read_kickstart(tree, p.notes);
  p.timezone = read_timezone(tree, p.kickstart, p.notes);
  p.locale = read_locale(tree, p.notes);
  p.selinux = read_selinux(tree, p.notes);
  detail::read_services(tree, p);
  if (const auto fstab = read_text(tree, "/etc/fstab", p.notes)) {
    p.fstab = volume::parse_fstab(*fstab);
  }
  p.root_password = detail::read_root_password(tree, p.notes);
  p.accounts = read_host_accounts(tree);
  p.notes.insert(p.notes.end(), p.accounts.notes.begin(), p.accounts.notes.end());
  return p;
}

} // namespace kvmr::scan
