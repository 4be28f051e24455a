#include "kickstart/safety.hpp"

#include <fmt/format.h>

#include <algorithm>

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

namespace {

// check_safety's walk over the commands, one check per command.
class SafetyCheck {
public:
  explicit SafetyCheck(const Profile &p) : data_(p) {}

  void element(const KsElement &e) {
    if (e.kind == KsKind::include) {
      bad_.emplace_back("%include pulls in lines this check cannot see");
    } else if (e.kind == KsKind::ksappend) {
      bad_.emplace_back("%ksappend pulls in lines this check cannot see");
    } else if (e.kind == KsKind::command) {
      command(split_ks_line(e.text));
    }
  }

  std::vector<std::string> finish() {
    check_logvols();
    if (!saw_clearpart_) {
      bad_.emplace_back("no clearpart line: the OS disk would not be cleared deliberately");
    }
    if (!saw_only_use_) {
      bad_.emplace_back("no ignoredisk --only-use: the installer would see every disk");
    }
    return std::move(bad_);
  }

private:
  using Words = std::vector<std::string>;

  void command(const Words &w) {
    if (w.empty()) {
      return;
    }
    const std::string &cmd = w[0];
    if (cmd == "zerombr") {
      bad_.emplace_back("zerombr takes no disk list and would wipe every visible disk");
    } else if (cmd == "autopart") {
      bad_.emplace_back("autopart may place the new system on a data disk");
    } else if (cmd == "clearpart") {
      clearpart(w);
    } else if (cmd == "ignoredisk") {
      const auto only = option(w, "only-use");
      saw_only_use_ = saw_only_use_ || (only && !only->empty());
    } else if (cmd == "part" || cmd == "partition") {
      part(w);
    } else if (cmd == "volgroup" && w.size() > 1) {
      volgroup(w);
    } else if (cmd == "logvol") {
      logvol(w);
    } else if (cmd == "raid") {
      raid(w);
    }
  }

  void clearpart(const Words &w) {
    saw_clearpart_ = true;
    const auto drives = option(w, "drives");
    if (!drives || drives->empty()) {
      bad_.emplace_back("clearpart without --drives would clear every visible disk");
    } else {
      for (const auto &d : split_list(*drives)) {
        if (!data_.holding(d).empty()) {
          bad_.push_back(fmt::format("clearpart --drives names {}, which holds rescued data", d));
        }
      }
    }
    if (has_flag(w, "list")) {
      for (const auto &d : split_list(*option(w, "list"))) {
        if (!data_.holding(d).empty()) {
          bad_.push_back(fmt::format("clearpart --list names {}, on a data disk", d));
        }
      }
    }
  }

  void part(const Words &w) {
    const bool keeps = has_flag(w, "noformat") || has_flag(w, "useexisting");
    const auto ondisk = option(w, "ondisk");
    const auto onpart = option(w, "onpart");
    const std::string where = onpart ? *onpart : ondisk ? *ondisk : "";
    const std::string mnt = w.size() > 1 ? w[1] : "?";
    if (where.empty()) {
      bad_.push_back(fmt::format("part {} names no disk (--ondisk/--onpart): the installer "
                                 "could put it on a data disk",
                                 mnt));
    } else if (!keeps && !data_.holding(where).empty()) {
      bad_.push_back(fmt::format("part {} would create or format {} on a data disk", mnt, where));
    }
    if (mnt.rfind("pv.", 0) == 0 && ondisk) {
      pv_disk_[mnt] = *ondisk;
    }
  }

  void volgroup(const Words &w) {
    if (data_.is_vg(w[1]) && !has_flag(w, "noformat")) {
      bad_.push_back(fmt::format("volgroup {} without --noformat would create or reformat the "
                                 "VG holding rescued data",
                                 w[1]));
    }
    vg_pvs_[w[1]] = Words(w.begin() + 2, w.end());
    if (has_flag(w, "noformat") || has_flag(w, "useexisting")) {
      vg_pvs_[w[1]].clear();
    }
  }

  void logvol(const Words &w) {
    const auto vg = option(w, "vgname");
    if (vg && data_.is_vg(*vg) && !has_flag(w, "noformat")) {
      bad_.push_back(fmt::format("logvol {} without --noformat would format a volume in the VG "
                                 "{} holding rescued data",
                                 w.size() > 1 ? w[1] : "?", *vg));
    }
    logvols_.push_back(w);
  }

  void raid(const Words &w) {
    const auto dev = option(w, "device");
    if (dev && data_.is_md(*dev) && !has_flag(w, "noformat")) {
      bad_.push_back(fmt::format("raid {} without --noformat would create or reformat the md "
                                 "array {} holding rescued data",
                                 w.size() > 1 ? w[1] : "?", *dev));
    }
  }

  // A new logvol's VG must lie only on PVs made on non-data disks.
  void check_logvols() {
    for (const auto &w : logvols_) {
      if (has_flag(w, "noformat") || has_flag(w, "useexisting")) {
        continue;
      }
      const auto vg = option(w, "vgname").value_or("");
      for (const auto &pv : vg_pvs_[vg]) {
        if (pv.rfind("--", 0) == 0) {
          continue;
        }
        const auto it = pv_disk_.find(pv);
        if (it == pv_disk_.end() || !data_.holding(it->second).empty()) {
          bad_.push_back(fmt::format("logvol {} formats space in VG {} that may lie on a data disk",
                                     w.size() > 1 ? w[1] : "?", vg));
        }
      }
    }
  }

  const DataDisks data_;
  std::vector<std::string> bad_;
  std::map<std::string, std::string> pv_disk_; // part pv.X --ondisk
  std::vector<Words> logvols_;
  std::map<std::string, Words> vg_pvs_;
  bool saw_clearpart_ = false;
  bool saw_only_use_ = false;
};

} // namespace

std::vector<std::string> check_safety(std::string_view ks_text, const Profile &p) {
  const KsRead read = read_kickstart(ks_text);
  std::vector<std::string> bad = read.problems;
  SafetyCheck check(p);
  for (const auto &e : read.elements) {
    check.element(e);
  }
  for (auto &x : check.finish()) {
    bad.push_back(std::move(x));
  }
  return bad;
}

std::vector<std::string> check_structure(std::string_view ks_text,
                                         const std::vector<KsElement> &intended) {
  const KsRead read = read_kickstart(ks_text);
  std::vector<std::string> bad = read.problems;
  const auto &got = read.elements;
  const std::size_t n = std::min(got.size(), intended.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (got[i] != intended[i]) {
      bad.push_back(fmt::format("pykickstart would read a {} \"{}\" where kvm-rescue wrote a {} "
                                "\"{}\": a value carried in the kickstart changes its sections "
                                "or commands",
                                to_string(got[i].kind), got[i].text.substr(0, 60),
                                to_string(intended[i].kind), intended[i].text.substr(0, 60)));
      return bad; // everything after it is shifted
    }
  }
  if (got.size() != intended.size()) {
    bad.push_back(fmt::format("pykickstart would read {} lines of commands and sections where "
                              "kvm-rescue wrote {}",
                              got.size(), intended.size()));
  }
  return bad;
}

} // namespace kvmr::kickstart
