#include "tests/integration/appliance_driver.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <iostream>

namespace kvmr::test {

FileSink::FileSink(const std::string &path) {
  if (!path.empty()) {
    out_.open(path);
  }
}

void FileSink::message(guestfs::LogKind kind, std::string_view text) {
  if (out_.is_open()) {
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - start_;
    out_ << t.count() << " " << guestfs::to_string(kind) << ": " << text << '\n';
  }
}

int launch_only(guestfs::EventSink &sink, const std::string &who) {
  std::string path = "/tmp/kvmr-appliance-probe-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0 || ::ftruncate(fd, 1 << 20) != 0) {
    std::cerr << who << ": cannot make " << path << '\n';
    return 1;
  }
  ::close(fd);
  int rc = 0;
  try {
    guestfs::Handle g(&sink);
    g.add_drive_ro(path);
    g.launch();
    g.shutdown();
    std::cout << nlohmann::json{{"launched", true}, {"backend", g.backend()}}.dump(2) << '\n';
  } catch (const guestfs::GuestfsError &e) {
    std::cerr << who << ": " << e.what() << '\n';
    rc = e.call() == "launch" ? 2 : 1;
  }
  ::unlink(path.c_str());
  return rc;
}

} // namespace kvmr::test
