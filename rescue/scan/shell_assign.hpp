// The assignments of a shell-sourced configuration file (network-scripts
// ifcfg-*, /etc/sysconfig/*, /etc/os-release, /etc/locale.conf), read the
// way bash would assign them when the file is sourced, without running
// anything: KEY=value, KEY="value" (\" \\ \$ \` escapes), KEY='value', mixed
// quoting (KEY="a"'b'c), "export KEY=...", several assignments on a line,
// comments, CRLF line endings. Expansions ($VAR, $(...), `...`) are kept
// literally with a warning; a line that is not an assignment is skipped with
// a warning naming its line.
#pragma once

#include "rescue/scan/source_note.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

struct ShellAssignments {
  std::map<std::string, std::string> values; // the last assignment of a key wins
  std::map<std::string, int> lines;          // line of that last assignment
  std::vector<SourceNote> warnings;

  // The value of KEY, or nullptr when the file does not assign it.
  [[nodiscard]] const std::string *find(const std::string &key) const;
  // The value of KEY, or "" when it is not assigned.
  [[nodiscard]] std::string get(const std::string &key) const;
  [[nodiscard]] bool has(const std::string &key) const { return values.contains(key); }
  // 1-based line of KEY's assignment, 0 when absent.
  [[nodiscard]] int line_of(const std::string &key) const;
};

// Parses TEXT; FILE names it in the warnings.
ShellAssignments parse_shell_assignments(std::string_view text, const std::string &file);

} // namespace kvmr::scan
