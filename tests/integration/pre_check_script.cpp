// Test-only: prints the kickstart's %pre data-volume check
// (kickstart/pre_check.hpp) as a bash script, for a data volume given on
// the command line, so kickstart_pre_test.py can run it against loop
// devices (anaconda cannot run here).
//   pre_check_script partition DEV UUID CONSOLE
//   pre_check_script lvm VG LV UUID CONSOLE
//   pre_check_script md NAME UUID CONSOLE
#include "kickstart/pre_check.hpp"

#include <cstdio>
#include <exception>
#include <span>
#include <string>

int main(int argc, char **argv) {
  using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
  const std::span<char *> args(argv, static_cast<std::size_t>(argc));
  const std::string kind = argc > 1 ? args[1] : "";
  const int need = kind == "lvm" ? 6 : 5;
  if ((kind != "partition" && kind != "lvm" && kind != "md") || argc != need) {
    (void)std::fputs(
        "usage: pre_check_script partition DEV UUID CONSOLE | lvm VG LV UUID CONSOLE | "
        "md NAME UUID CONSOLE\n",
        stderr);
    return 2;
  }
  Profile p;
  DataDisk d;
  if (kind == "lvm") {
    d.kind = DataKind::lvm;
    d.vg = args[2];
    d.lv = args[3];
  } else if (kind == "md") {
    d.kind = DataKind::md;
    d.md = args[2];
  } else {
    d.partition = args[2];
  }
  d.fs_uuid = args[static_cast<std::size_t>(need) - 2];
  p.data_disks.push_back(d);
  try {
    const std::string script =
        pre_check_script(p, PreCheckOptions{args[static_cast<std::size_t>(need) - 1]});
    return std::fputs(script.c_str(), stdout) == EOF ? 1 : 0;
  } catch (const std::exception &e) {
    (void)std::fprintf(stderr, "pre_check_script: %s\n", e.what());
    return 2;
  }
}
