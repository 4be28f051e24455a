// Which of the services that matter to a KVM host were enabled on the old
// host: systemd "wants" links under /etc/systemd/system/*.wants/, SysV
// start links under /etc/rc.d/rc3.d and rc5.d (CentOS 7's "network"
// service is still an init script), and masks (unit -> /dev/null).
#include "rescue/scan/host_profile_read.hpp"

#include <algorithm>

namespace kvmr::scan {

const std::vector<std::string> kWatchedServices = {
    "libvirtd", "sshd", "firewalld", "iptables", "ip6tables", "NetworkManager", "network",
    "chronyd",  "ntpd", "ksm",       "ksmtuned", "virtlogd",  "libvirt-guests", "virtlockd"};

namespace detail {
namespace {

bool watched(const std::string &stem) {
  return std::find(kWatchedServices.begin(), kWatchedServices.end(), stem) !=
         kWatchedServices.end();
}

// "libvirtd.service" -> "libvirtd"; "" for names that are no unit of ours.
std::string unit_stem(const std::string &name) {
  for (const char *suffix : {".service", ".socket", ".timer", ".path"}) {
    const std::string_view s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      return name.substr(0, name.size() - s.size());
    }
  }
  return {};
}

std::vector<io::DirEntry> list_or_note(io::SourceTree &tree, const std::string &dir,
                                       std::vector<SourceNote> &notes, bool note_missing) {
  try {
    if (!tree.lstat(dir)) {
      if (note_missing) {
        notes.push_back(SourceNote{dir, 0, "not found"});
      }
      return {};
    }
    return tree.list(dir);
  } catch (const std::exception &e) {
    notes.push_back(SourceNote{dir, 0, std::string("cannot be listed: ") + e.what()});
    return {};
  }
}

std::string link_of(io::SourceTree &tree, const std::string &path, std::vector<SourceNote> &notes) {
  try {
    return tree.readlink(path);
  } catch (const std::exception &e) {
    notes.push_back(SourceNote{path, 0, std::string("cannot read the link: ") + e.what()});
    return {};
  }
}

} // namespace

void read_services(io::SourceTree &tree, HostProfile &p) {
  const std::string sys = "/etc/systemd/system";
  for (const io::DirEntry &d : list_or_note(tree, sys, p.notes, true)) {
    const std::string path = sys + "/" + d.name;
    const std::string stem = unit_stem(d.name);
    if (d.type == io::FileType::symlink && watched(stem) &&
        link_of(tree, path, p.notes) == "/dev/null") {
      p.masked.push_back(d.name);
    }
    constexpr std::string_view kWants = ".wants";
    if (d.type != io::FileType::directory || d.name.size() <= kWants.size() ||
        d.name.compare(d.name.size() - kWants.size(), kWants.size(), kWants) != 0) {
      continue;
    }
    const std::string target = d.name.substr(0, d.name.size() - kWants.size());
    for (const io::DirEntry &u : list_or_note(tree, path, p.notes, false)) {
      if (watched(unit_stem(u.name))) {
        const std::string link = u.type == io::FileType::symlink
                                     ? link_of(tree, path + "/" + u.name, p.notes)
                                     : std::string();
        p.services.push_back(EnabledService{u.name, target, link});
      }
    }
  }
  for (const char *level : {"3", "5"}) {
    const std::string dir = std::string("/etc/rc.d/rc") + level + ".d";
    for (const io::DirEntry &u : list_or_note(tree, dir, p.notes, false)) {
      // S10network: start link, two-digit order, script name.
      if (u.name.size() > 3 && u.name[0] == 'S' && watched(u.name.substr(3))) {
        p.services.push_back(EnabledService{u.name.substr(3), std::string("runlevel") + level,
                                            link_of(tree, dir + "/" + u.name, p.notes)});
      }
    }
  }
}

} // namespace detail
} // namespace kvmr::scan
