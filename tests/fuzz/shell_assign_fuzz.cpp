// libFuzzer target for the shell-assignment lexer (shell_assign.hpp) on its
// own, as it reads /etc/os-release, /etc/locale.conf and /etc/sysconfig/*:
// any bytes as the file; every key read is a shell name, each has its line
// within the file, and every warning's line is within the file too.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./shell_assign_fuzz corpus/shell_assign
#include "rescue/scan/shell_assign.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

bool is_shell_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) {
    return false;
  }
  return std::ranges::all_of(s, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  const kvmr::scan::ShellAssignments vars =
      kvmr::scan::parse_shell_assignments(text, "/etc/os-release");
  int lines = 1;
  for (const char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  for (const auto &w : vars.warnings) {
    if (w.line < 0 || w.line > lines || w.message.empty()) {
      std::abort();
    }
  }
  if (vars.lines.size() != vars.values.size()) {
    std::abort();
  }
  for (const auto &[key, value] : vars.values) {
    const int line = vars.line_of(key);
    if (!is_shell_name(key) || line < 1 || line > lines || vars.get(key) != value) {
      std::abort();
    }
  }
  return 0;
}
