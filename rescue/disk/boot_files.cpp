// Checks the kernels and initramfs images a grub.cfg names (see boot_files.hpp).
#include "rescue/disk/boot_files.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <span>
#include <string_view>

namespace kvmr::disk {
namespace {

constexpr std::uint64_t kMaxCfgBytes = 4U << 20U;
constexpr std::uint64_t kKernelHeaderBytes = 0x210;
constexpr std::size_t kHdrSOffset = 0x202;
// cpio (newc, crc), gzip, xz, zstd, lz4 (legacy), bzip2.
constexpr std::string_view kXzMagic{"\xfd"
                                    "7zXZ",
                                    5};
constexpr std::array<std::string_view, 7> kInitramfsMagics{
    "070701", "070702", "\x1f\x8b", kXzMagic, "\x28\xb5\x2f\xfd", "\x02\x21\x4c\x18", "BZh"};

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// Whitespace-separated words; '…' and "…" group (quotes removed).
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (const char ch : line) {
    if (quote != 0) {
      if (ch == quote) {
        quote = 0;
      } else {
        cur += ch;
      }
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      in_word = true;
    } else if (ch == ' ' || ch == '\t') {
      if (in_word) {
        out.push_back(cur);
        cur.clear();
        in_word = false;
      }
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (in_word) {
    out.push_back(cur);
  }
  return out;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    out.push_back(trim(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  return out;
}

bool is_kernel_cmd(const std::string &w) {
  return w == "linux" || w == "linux16" || w == "linuxefi";
}
bool is_initrd_cmd(const std::string &w) {
  return w == "initrd" || w == "initrd16" || w == "initrdefi";
}

// "($root)/vmlinuz-x" and "(hd0,gpt3)/vmlinuz-x" -> "/vmlinuz-x".
std::string strip_device(std::string path) {
  if (!path.empty() && path.front() == '(') {
    const auto close = path.find(')');
    if (close != std::string::npos) {
      path.erase(0, close + 1);
    }
  }
  return path;
}

bool has_prefix(const std::string &data, std::span<const std::string_view> magics) {
  return std::any_of(magics.begin(), magics.end(), [&](std::string_view m) {
    return data.size() >= m.size() && std::string_view(data).substr(0, m.size()) == m;
  });
}

struct FileCheck {
  bool ok = false;
  bool missing = false;
  std::string what; // the problem, in words
};

// PATH as grub names it: relative to the /boot filesystem, or under /boot
// when /boot is part of the root filesystem.
std::string locate(io::SourceTree &boot, const std::string &path) {
  std::string p = strip_device(path);
  if (boot.lstat(p)) {
    return p;
  }
  if (p.rfind("/boot/", 0) == 0 && boot.lstat(p.substr(5))) {
    return p.substr(5);
  }
  return {};
}

FileCheck check_file(io::SourceTree &boot, const std::string &named, bool kernel) {
  const std::string kind = kernel ? "kernel" : "initramfs";
  if (named.find('$') != std::string::npos) {
    return {false, false, fmt::format("the {} {} uses a grub variable", kind, named)};
  }
  const std::string p = locate(boot, named);
  if (p.empty()) {
    return {false, true, fmt::format("the {} {} is missing", kind, strip_device(named))};
  }
  const auto st = boot.lstat(p);
  if (st->type != io::FileType::regular) {
    return {false, false, fmt::format("the {} {} is not a regular file", kind, p)};
  }
  if (st->size == 0) {
    return {false, false, fmt::format("the {} {} is empty", kind, p)};
  }
  const std::string head = boot.read_range(p, 0, kKernelHeaderBytes);
  if (kernel) {
    if (head.size() < kHdrSOffset + 4 || head.compare(kHdrSOffset, 4, "HdrS") != 0) {
      return {false, false, fmt::format("the kernel {} is not a Linux kernel image", p)};
    }
  } else if (!has_prefix(head, kInitramfsMagics)) {
    return {false, false,
            fmt::format("the initramfs {} is neither a cpio archive nor compressed", p)};
  }
  return {true, false, {}};
}

std::string short_name(const std::string &path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::vector<BootEntry> bls_entries(io::SourceTree &boot) {
  std::vector<BootEntry> out;
  for (const char *dir : {"/loader/entries", "/boot/loader/entries"}) {
    const auto st = boot.lstat(dir);
    if (!st || st->type != io::FileType::directory) {
      continue;
    }
    auto list = boot.list(dir);
    // Newest kernel first, as grub's blscfg sorts them.
    std::reverse(list.begin(), list.end());
    for (const auto &e : list) {
      if (e.name.size() > 5 && e.name.ends_with(".conf")) {
        out.push_back(
            parse_bls_entry(boot.read_file(std::string(dir) + "/" + e.name, kMaxCfgBytes)));
      }
    }
  }
  return out;
}

} // namespace

GrubConfig parse_grub_cfg(std::string_view text) {
  GrubConfig cfg;
  BootEntry cur;
  bool in_entry = false;
  for (const std::string_view line : lines(text)) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto w = words(line);
    if (w.empty()) {
      continue;
    }
    if (w[0] == "blscfg") {
      cfg.uses_bls = true;
    } else if (w[0] == "configfile" && !in_entry) {
      cfg.chains_elsewhere = true;
    } else if (w[0] == "menuentry") {
      cur = {};
      cur.title = w.size() > 1 ? w[1] : "";
      in_entry = true;
    } else if (in_entry && is_kernel_cmd(w[0]) && w.size() > 1) {
      cur.kernel = w[1];
    } else if (in_entry && is_initrd_cmd(w[0])) {
      cur.initrds.insert(cur.initrds.end(), w.begin() + 1, w.end());
    } else if (in_entry && w[0] == "}") {
      cfg.entries.push_back(cur);
      in_entry = false;
    }
  }
  return cfg;
}

BootEntry parse_bls_entry(std::string_view text) {
  BootEntry e;
  for (const std::string_view line : lines(text)) {
    const auto w = words(line);
    if (w.size() < 2) {
      continue;
    }
    if (w[0] == "title") {
      e.title = std::string(trim(line.substr(5)));
    } else if (w[0] == "linux") {
      e.kernel = w[1];
    } else if (w[0] == "initrd") {
      e.initrds.insert(e.initrds.end(), w.begin() + 1, w.end());
    }
  }
  return e;
}

BootEvidence check_boot_files(io::SourceTree &boot, const GrubSource &cfg) {
  BootEvidence ev{kBootFilesItem, EvidenceState::ok, "", ""};
  try {
    GrubSource src = cfg;
    if (src.where.empty() || parse_grub_cfg(src.text).chains_elsewhere) {
      const auto st = boot.lstat("/grub2/grub.cfg");
      if (st && st->type == io::FileType::regular) {
        src = {"grub2/grub.cfg on /boot", boot.read_file("/grub2/grub.cfg", kMaxCfgBytes)};
      }
    }
    if (src.where.empty()) {
      return {kBootFilesItem, EvidenceState::missing, "no grub.cfg was found",
              "GRUB has no configuration (grub.cfg is missing)"};
    }
    GrubConfig g = parse_grub_cfg(src.text);
    std::string from = src.where;
    if (g.entries.empty() && g.uses_bls) {
      g.entries = bls_entries(boot);
      from = "the BootLoaderSpec entries on /boot";
    }
    if (g.entries.empty()) {
      return {kBootFilesItem, EvidenceState::missing, src.where + " names no kernel",
              src.where + " has no boot entry"};
    }
    const BootEntry &def = g.entries.front();
    std::vector<FileCheck> checks;
    if (def.kernel.empty()) {
      checks.push_back({false, true, "the first boot entry names no kernel"});
    } else {
      checks.push_back(check_file(boot, def.kernel, true));
    }
    if (def.initrds.empty()) {
      checks.push_back({false, true, "the first boot entry names no initramfs"});
    }
    for (const auto &i : def.initrds) {
      checks.push_back(check_file(boot, i, false));
    }
    std::vector<std::string> problems;
    bool missing = false;
    for (const auto &c : checks) {
      if (!c.ok) {
        problems.push_back(c.what);
        missing = missing || c.missing;
      }
    }
    const std::string name = short_name(strip_device(def.kernel));
    if (problems.empty()) {
      ev.detail = fmt::format("{} names {} boot entr{}; the first ({}) has its kernel and "
                              "initramfs in place",
                              from, g.entries.size(), g.entries.size() == 1 ? "y" : "ies", name);
      return ev;
    }
    ev.state = missing ? EvidenceState::missing : EvidenceState::damaged;
    ev.detail =
        fmt::format("{}, first entry \"{}\": {}", from, def.title, fmt::join(problems, "; "));
    ev.problem = fmt::format("{}", fmt::join(problems, "; "));
  } catch (const std::exception &e) {
    ev = {kBootFilesItem, EvidenceState::damaged,
          std::string("files on /boot cannot be read: ") + e.what(),
          "the files on /boot cannot be read"};
  }
  return ev;
}

void conclude_boot_path(BootPath &bp, const std::string &mode) {
  std::vector<std::string> bad;
  bool unchecked = false;
  for (const auto &e : bp.evidence) {
    if (e.state == EvidenceState::missing || e.state == EvidenceState::damaged) {
      bad.push_back(e.problem.empty() ? fmt::format("{}: {}", e.item, e.detail) : e.problem);
    } else if (e.state == EvidenceState::not_checked) {
      unchecked = true;
    }
  }
  if (!bad.empty()) {
    bp.verdict = BootVerdict::does_not_boot;
    bp.summary = fmt::format("Will not boot in {} mode: {}.", mode, fmt::join(bad, "; "));
  } else if (unchecked) {
    bp.verdict = BootVerdict::unknown;
    bp.summary = fmt::format("The {} boot chain on the raw disk is in place; the files it loads "
                             "were not checked.",
                             mode);
  } else {
    bp.verdict = BootVerdict::boots;
    bp.summary = fmt::format("Everything the {} boot path needs is in place.", mode);
  }
}

} // namespace kvmr::disk
