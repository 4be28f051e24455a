#include "kickstart/safety.hpp"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>

namespace kvmr::kickstart {
namespace {

std::string strip_dev(std::string_view name) {
  std::string s(name);
  if (s.rfind("/dev/", 0) == 0) {
    s.erase(0, 5);
  }
  return s;
}

// The value of --NAME=V or --NAME V in WORDS.
std::optional<std::string> option(const std::vector<std::string> &words, std::string_view name) {
  const std::string eq = "--" + std::string(name) + "=";
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (words[i].rfind(eq, 0) == 0) {
      return words[i].substr(eq.size());
    }
    if (words[i] == "--" + std::string(name)) {
      return i + 1 < words.size() ? words[i + 1] : std::string();
    }
  }
  return std::nullopt;
}

bool has_flag(const std::vector<std::string> &words, std::string_view name) {
  return option(words, name).has_value();
}

std::vector<std::string> split_list(const std::string &v) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    const std::size_t comma = std::min(v.find(',', start), v.size());
    if (comma > start) {
      out.push_back(strip_dev(v.substr(start, comma - start)));
    }
    start = comma + 1;
  }
  return out;
}

class DataDisks {
public:
  explicit DataDisks(const Profile &p) {
    for (const auto &d : p.data_disks) {
      for (const auto &disk : disks_of(d)) { // every PV or md member disk too
        disks_.push_back(strip_dev(disk));
      }
      if (!d.partition.empty()) {
        parts_.insert(strip_dev(d.partition));
      }
      if (d.kind == DataKind::lvm) {
        vgs_.insert(d.vg);
      } else if (d.kind == DataKind::md) {
        mds_.insert(md_name(d.md));
      }
    }
  }
  [[nodiscard]] bool is_vg(const std::string &vg) const { return vgs_.contains(vg); }
  [[nodiscard]] bool is_md(const std::string &device) const {
    return mds_.contains(md_name(device));
  }
  // "/dev/md/data", "md/data" and "data" name the same array.
  static std::string md_name(const std::string &device) {
    std::string s = strip_dev(device);
    return s.rfind("md/", 0) == 0 ? s.substr(3) : s;
  }
  // The data disk DEVICE is (or is a partition of); "" when none.
  [[nodiscard]] std::string holding(const std::string &device) const {
    const std::string dev = strip_dev(device);
    for (const auto &d : disks_) {
      if (dev == d || dev.rfind(d + "-part", 0) == 0 || parts_.contains(dev)) {
        return d;
      }
    }
    return parts_.contains(dev) ? dev : "";
  }

private:
  std::vector<std::string> disks_;
  std::set<std::string> parts_;
  std::set<std::string> vgs_; // existing VGs holding rescued data
  std::set<std::string> mds_; // existing md arrays holding rescued data
};

} // namespace

std::vector<std::string> split_ks_line(std::string_view line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (quote == '"') {
      if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        cur += line[++i];
      } else if (c == '"') {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '#' && !in_word) {
      break;
    } else if (c == ' ' || c == '\t') {
      if (in_word) {
        words.push_back(cur);
        cur.clear();
        in_word = false;
      }
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) {
    words.push_back(cur);
  }
  return words;
}

std::vector<std::string> check_safety(std::string_view ks_text, const Profile &p) {
  std::vector<std::string> bad;
  const DataDisks data(p);
  std::map<std::string, std::string> pv_disk; // part pv.X --ondisk
  std::vector<std::vector<std::string>> logvols;
  std::map<std::string, std::vector<std::string>> vg_pvs;
  bool in_section = false;
  bool saw_clearpart = false;
  bool saw_only_use = false;
  std::size_t start = 0;
  while (start < ks_text.size()) {
    const std::size_t nl = std::min(ks_text.find('\n', start), ks_text.size());
    const std::string_view line = ks_text.substr(start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.front() == '%') {
      in_section = line.rfind("%end", 0) != 0 && line.rfind("%include", 0) != 0;
      if (line.rfind("%include", 0) == 0) {
        bad.emplace_back("%include pulls in lines this check cannot see");
      }
      continue;
    }
    if (in_section) {
      continue;
    }
    const auto w = split_ks_line(line);
    if (w.empty()) {
      continue;
    }
    const std::string &cmd = w[0];
    if (cmd == "zerombr") {
      bad.emplace_back("zerombr takes no disk list and would wipe every visible disk");
    } else if (cmd == "autopart") {
      bad.emplace_back("autopart may place the new system on a data disk");
    } else if (cmd == "clearpart") {
      saw_clearpart = true;
      const auto drives = option(w, "drives");
      if (!drives || drives->empty()) {
        bad.emplace_back("clearpart without --drives would clear every visible disk");
      } else {
        for (const auto &d : split_list(*drives)) {
          if (const auto held = data.holding(d); !held.empty()) {
            bad.push_back(fmt::format("clearpart --drives names {}, which holds rescued data", d));
          }
        }
      }
      if (has_flag(w, "list")) {
        for (const auto &d : split_list(*option(w, "list"))) {
          if (!data.holding(d).empty()) {
            bad.push_back(fmt::format("clearpart --list names {}, on a data disk", d));
          }
        }
      }
    } else if (cmd == "ignoredisk") {
      const auto only = option(w, "only-use");
      saw_only_use = saw_only_use || (only && !only->empty());
    } else if (cmd == "part" || cmd == "partition") {
      const bool keeps = has_flag(w, "noformat") || has_flag(w, "useexisting");
      const auto ondisk = option(w, "ondisk");
      const auto onpart = option(w, "onpart");
      const std::string where = onpart ? *onpart : ondisk ? *ondisk : "";
      const std::string mnt = w.size() > 1 ? w[1] : "?";
      if (where.empty()) {
        bad.push_back(fmt::format("part {} names no disk (--ondisk/--onpart): the installer "
                                  "could put it on a data disk",
                                  mnt));
      } else if (!keeps && !data.holding(where).empty()) {
        bad.push_back(fmt::format("part {} would create or format {} on a data disk", mnt, where));
      }
      if (mnt.rfind("pv.", 0) == 0 && ondisk) {
        pv_disk[mnt] = *ondisk;
      }
    } else if (cmd == "volgroup" && w.size() > 1) {
      if (data.is_vg(w[1]) && !has_flag(w, "noformat")) {
        bad.push_back(fmt::format("volgroup {} without --noformat would create or reformat the "
                                  "VG holding rescued data",
                                  w[1]));
      }
      vg_pvs[w[1]] = std::vector<std::string>(w.begin() + 2, w.end());
      if (has_flag(w, "noformat") || has_flag(w, "useexisting")) {
        vg_pvs[w[1]].clear();
      }
    } else if (cmd == "logvol") {
      const auto vg = option(w, "vgname");
      if (vg && data.is_vg(*vg) && !has_flag(w, "noformat")) {
        bad.push_back(fmt::format("logvol {} without --noformat would format a volume in the VG "
                                  "{} holding rescued data",
                                  w.size() > 1 ? w[1] : "?", *vg));
      }
      logvols.push_back(w);
    } else if (cmd == "raid") {
      const auto dev = option(w, "device");
      if (dev && data.is_md(*dev) && !has_flag(w, "noformat")) {
        bad.push_back(fmt::format("raid {} without --noformat would create or reformat the md "
                                  "array {} holding rescued data",
                                  w.size() > 1 ? w[1] : "?", *dev));
      }
    }
  }
  for (const auto &w : logvols) {
    if (has_flag(w, "noformat") || has_flag(w, "useexisting")) {
      continue;
    }
    const auto vg = option(w, "vgname").value_or("");
    for (const auto &pv : vg_pvs[vg]) {
      if (pv.rfind("--", 0) == 0) {
        continue;
      }
      const auto it = pv_disk.find(pv);
      if (it == pv_disk.end() || !data.holding(it->second).empty()) {
        bad.push_back(fmt::format("logvol {} formats space in VG {} that may lie on a data disk",
                                  w.size() > 1 ? w[1] : "?", vg));
      }
    }
  }
  if (!saw_clearpart) {
    bad.emplace_back("no clearpart line: the OS disk would not be cleared deliberately");
  }
  if (!saw_only_use) {
    bad.emplace_back("no ignoredisk --only-use: the installer would see every disk");
  }
  return bad;
}

} // namespace kvmr::kickstart
