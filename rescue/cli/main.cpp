// kvm-rescue: the command-line front-end. Parses the command line, hands
// each subcommand to its runner and maps failures to documented exit codes.
#include "rescue/cli/commands.hpp"
#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/signals.hpp"

#include <exception>
#include <iostream>
#include <map>
#include <unistd.h>

int main(int argc, char **argv) {
  using namespace kvmr::cli; // NOLINT(google-build-using-namespace)
  CLI::App app{"kvm-rescue: bring KVM guests back from a host that no longer boots"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "kvm-rescue 0.1.0");
  std::map<std::string, Runner> runners;
  runners["probe"] = add_probe(app);
  runners["mount-ro"] = add_mount_ro(app);
  runners["umount"] = add_umount(app);
  runners["scan"] = add_scan(app);
  runners["plan"] = add_plan(app);
  runners["kickstart"] = add_kickstart(app);
  runners["copy"] = add_copy(app);
  runners["rescue"] = add_rescue(app);
  runners["network"] = add_network(app);
  runners["wizard"] = add_wizard(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::cerr << "kvm-rescue: " << e.what() << "\n"
              << "Run 'kvm-rescue --help' for usage.\n";
    return kExitUsage;
  }
  try {
    for (auto *sub : app.get_subcommands()) {
      return runners.at(sub->get_name())();
    }
    // No subcommand: the wizard on a terminal, the usage otherwise.
    if (::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1) {
      return runners.at("wizard")();
    }
    std::cerr << app.help();
  } catch (const Interrupted &e) {
    std::cerr << "kvm-rescue: " << e.what() << "; everything attached was released\n";
    return 128 + e.signal();
  } catch (const std::exception &e) {
    std::cerr << "kvm-rescue: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}
