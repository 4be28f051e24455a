// The two files of the old host that hold password hashes, read for the
// profile: root's /etc/shadow entry and /root/anaconda-ks.cfg. Nothing read
// here that could be a hash reaches a returned string or a note.
#include "rescue/scan/host_profile_read.hpp"
#include "rescue/scan/host_secrets.hpp"
#include "rescue/util/ascii.hpp"

#include <algorithm>
#include <sstream>

namespace kvmr::scan::detail {
namespace {

const std::vector<std::string> kKeptCommands = {
    "lang",       "keyboard",  "timezone", "network",  "rootpw",  "user",
    "part",       "partition", "logvol",   "volgroup", "raid",    "bootloader",
    "ignoredisk", "clearpart", "autopart", "services", "selinux", "firewall"};

} // namespace

KickstartInfo read_kickstart(io::SourceTree &tree, std::vector<SourceNote> &notes) {
  const std::string path = "/root/anaconda-ks.cfg";
  KickstartInfo ks;
  try {
    const auto st = tree.lstat(path);
    if (st) {
      ks.size = st->size;
    }
  } catch (const std::exception &) {
    // read_text below notes the failure
  }
  const auto text = read_text(tree, path, notes, IfMissing::note, 4 * kMaxConfigBytes);
  if (!text) {
    return ks;
  }
  ks.present = true;
  ks.size = text->size();
  std::istringstream in(*text);
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t.front() == '#') {
      continue;
    }
    if (t.front() == '%') {
      in_section = t.rfind("%end", 0) != 0;
      continue;
    }
    std::istringstream words(t);
    std::string cmd;
    words >> cmd;
    cmd = ascii_lower(cmd);
    if (in_section ||
        std::find(kKeptCommands.begin(), kKeptCommands.end(), cmd) == kKeptCommands.end()) {
      continue;
    }
    if (cmd == "rootpw") {
      ks.rootpw = true;
      for (std::string w; words >> w;) {
        ks.rootpw_iscrypted = ks.rootpw_iscrypted || w == "--iscrypted";
      }
    }
    ks.lines.push_back(redact_kickstart_line(t));
  }
  return ks;
}

RootPassword read_root_password(io::SourceTree &tree, std::vector<SourceNote> &notes) {
  const std::string path = "/etc/shadow";
  const auto text = read_text(tree, path, notes, IfMissing::note, 16 * kMaxConfigBytes);
  if (!text) {
    return {};
  }
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("root:", 0) != 0) {
      continue;
    }
    const std::string_view rest = std::string_view(line).substr(5);
    const std::string_view field = rest.substr(0, std::min(rest.find(':'), rest.size()));
    return classify_password_field(
        field.empty() || field.back() != '\r' ? field : field.substr(0, field.size() - 1));
  }
  notes.push_back(SourceNote{path, 0, "no entry for root"});
  return {};
}

} // namespace kvmr::scan::detail
