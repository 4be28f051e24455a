// guest_inspect: test-only helper of guest_inspect_test.py. Runs
// guestfs::inspect_guests over the disks named on the command line and
// prints what it found per VM as JSON.
//
//   guest_inspect [--log FILE] [--no-retry] --disk VM FORMAT PATH [--readonly] ...
//   guest_inspect --launch-only [--log FILE]   (can any appliance start here?)
//
// Exit status: 0 done (whatever was found), 2 --launch-only could not
// launch (message on stderr), 1 any other failure.
#include "rescue/guestfs/guest_inspect.hpp"

#include "tests/integration/appliance_driver.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace {

using kvmr::guestfs::GuestfsError;
using nlohmann::json;

// An appliance over a 1 MiB blank read-only drive (libguestfs needs one).

int run(int argc, char **argv) {
  std::vector<kvmr::guestfs::GuestDisk> disks;
  kvmr::guestfs::GuestInspectOptions opts;
  std::string log;
  bool probe = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--launch-only") {
      probe = true;
    } else if (a == "--no-retry") {
      opts.retry_alone = false;
    } else if (a == "--log" && i + 1 < argc) {
      log = argv[++i];
    } else if (a == "--disk" && i + 3 < argc) {
      disks.push_back({argv[i + 1], argv[i + 3], argv[i + 2], false, {}});
      i += 3;
    } else if (a == "--readonly" && !disks.empty()) {
      disks.back().readonly = true;
    } else {
      std::cerr << "guest_inspect: bad argument: " << a << '\n';
      return 1;
    }
  }
  kvmr::test::FileSink sink(log);
  if (probe) {
    return kvmr::test::launch_only(sink, "guest_inspect");
  }
  opts.sink = &sink;
  const auto started = std::chrono::steady_clock::now();
  const auto results = kvmr::guestfs::inspect_guests(disks, opts);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  json out;
  out["seconds"] = took.count();
  out["results"] = json::array();
  for (const auto &r : results) {
    out["results"].push_back({{"vm", r.vm},
                              {"state", kvmr::guestfs::to_string(r.state)},
                              {"root", r.root},
                              {"root_disk", r.root_disk},
                              {"os_type", r.os_type},
                              {"distro", r.distro},
                              {"product_name", r.product_name},
                              {"major_version", r.major_version},
                              {"minor_version", r.minor_version},
                              {"version", r.version()},
                              {"hostname", r.hostname},
                              {"notes", r.notes}});
  }
  std::cout << out.dump(2) << '\n';
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::cerr << "guest_inspect: " << e.what() << '\n';
    return 1;
  }
}
