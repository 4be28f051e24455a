// scan_tree: test-only helper of corpus_test.py. Runs the project's scan
// (scan::build_inventory) over a plain directory that holds an old host's
// tree, read through volume::MountedTree as the kernel path reads mounted
// filesystems, and prints the inventory as JSON (scan.schema.json). Needs
// no root, loop device or mount.
//
//   scan_tree ROOT [--lv VG/LV=BYTES[,unreadable]]...
//
// --lv: an LV the volume layer would have mapped from the source disks.
// Exit status: 0 printed, 2 bad command line, 1 any other failure.
#include "rescue/scan/inventory.hpp"
#include "rescue/scan/inventory_json.hpp"
#include "rescue/volume/mounted_tree.hpp"

#include <nlohmann/json.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

// "vg/lv=1048576" or "vg/lv=1048576,unreadable".
bool parse_lv(const std::string &spec, kvmr::scan::LvFact &lv) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    return false;
  }
  lv.name = spec.substr(0, eq);
  std::string size = spec.substr(eq + 1);
  lv.readable = true;
  if (const auto comma = size.find(','); comma != std::string::npos) {
    lv.readable = size.substr(comma + 1) != "unreadable";
    size.resize(comma);
  }
  lv.size = std::stoull(size);
  lv.access = "test";
  if (!lv.readable) {
    lv.problems.emplace_back("a PV of it is missing (test)");
  }
  return true;
}

int run(int argc, char **argv) {
  if (argc < 2) {
    std::cerr << "usage: scan_tree ROOT [--lv VG/LV=BYTES[,unreadable]]...\n";
    return 2;
  }
  std::vector<kvmr::scan::LvFact> lvs;
  for (int i = 2; i < argc; ++i) {
    kvmr::scan::LvFact lv;
    if (std::string(argv[i]) != "--lv" || i + 1 >= argc || !parse_lv(argv[i + 1], lv)) {
      std::cerr << "scan_tree: bad argument " << argv[i] << "\n";
      return 2;
    }
    lvs.push_back(lv);
    ++i;
  }
  kvmr::volume::MountedTree tree(argv[1]);
  const auto inv = kvmr::scan::build_inventory(tree, lvs);
  std::cout << kvmr::scan::to_json(inv).dump(2, ' ', false,
                                             nlohmann::json::error_handler_t::replace)
            << "\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::cerr << "scan_tree: " << e.what() << "\n";
    return 1;
  }
}
