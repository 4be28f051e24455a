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

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace {

using kvmr::guestfs::GuestfsError;
using nlohmann::json;

class FileSink final : public kvmr::guestfs::EventSink {
public:
  explicit FileSink(const std::string &path) {
    if (!path.empty()) {
      out_.open(path);
    }
  }
  void message(kvmr::guestfs::LogKind kind, std::string_view text) override {
    if (out_.is_open()) {
      const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start_;
      out_ << t.count() << " " << kvmr::guestfs::to_string(kind) << ": " << text << '\n';
    }
  }
  void progress(std::uint64_t /*done*/, std::uint64_t /*total*/) override {}

private:
  std::ofstream out_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// An appliance over a 1 MiB blank read-only drive (libguestfs needs one).
int launch_only(kvmr::guestfs::EventSink &sink) {
  std::string path = "/tmp/kvmr-guest-inspect-probe-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0 || ::ftruncate(fd, 1 << 20) != 0) {
    std::cerr << "guest_inspect: cannot make " << path << '\n';
    return 1;
  }
  ::close(fd);
  int rc = 0;
  try {
    kvmr::guestfs::Handle g(&sink);
    g.add_drive_ro(path);
    g.launch();
    g.shutdown();
    std::cout << json{{"launched", true}, {"backend", g.backend()}}.dump(2) << '\n';
  } catch (const GuestfsError &e) {
    std::cerr << "guest_inspect: " << e.what() << '\n';
    rc = e.call() == "launch" ? 2 : 1;
  }
  ::unlink(path.c_str());
  return rc;
}

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
      disks.push_back({argv[i + 1], argv[i + 3], argv[i + 2], false});
      i += 3;
    } else if (a == "--readonly" && !disks.empty()) {
      disks.back().readonly = true;
    } else {
      std::cerr << "guest_inspect: bad argument: " << a << '\n';
      return 1;
    }
  }
  FileSink sink(log);
  if (probe) {
    return launch_only(sink);
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
