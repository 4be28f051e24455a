// libFuzzer target for the shell assignment lexer and the ifcfg
// interpretation: any bytes as an ifcfg file; every value read must be
// consistent with the warnings' line numbers, and redaction of a kickstart
// line must never keep a --password value.
// Build: cmake -DKVMR_FUZZ=ON with clang; run: ./ifcfg_fuzz corpus/
#include "rescue/scan/host_secrets.hpp"
#include "rescue/scan/ifcfg.hpp"
#include "rescue/scan/shell_assign.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  const std::string path = "/etc/sysconfig/network-scripts/ifcfg-fuzz0";
  const kvmr::scan::ShellAssignments vars = kvmr::scan::parse_shell_assignments(text, path);
  int lines = 1;
  for (const char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  for (const auto &w : vars.warnings) {
    if (w.line < 0 || w.line > lines) {
      std::abort();
    }
  }
  for (const auto &[key, line] : vars.lines) {
    if (line < 1 || line > lines || vars.values.count(key) == 0) {
      std::abort();
    }
  }
  const kvmr::scan::HostInterface iface = kvmr::scan::interpret_ifcfg(vars, path);
  if (iface.device.empty() || iface.warnings.size() < vars.warnings.size()) {
    std::abort();
  }
  for (const auto &a : iface.addresses) {
    if (a.prefix && (*a.prefix < 0 || *a.prefix > 32)) {
      std::abort();
    }
  }
  (void)kvmr::scan::netmask_to_prefix(text);
  (void)kvmr::scan::classify_password_field(text);
  const std::string red = kvmr::scan::redact_kickstart_line("user --password=" + std::string(text));
  if (red.find("--password=") != std::string::npos &&
      red.find("--password=<redacted>") == std::string::npos) {
    std::abort();
  }
  return 0;
}
