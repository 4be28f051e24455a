// Shared by the test-only libguestfs drivers (guestfs_dump, guest_inspect):
// an event sink that logs the appliance's messages to a file with a time
// stamp, and `--launch-only`: can any appliance start on this machine?
#pragma once

#include "rescue/guestfs/handle.hpp"

#include <chrono>
#include <fstream>
#include <string>

namespace kvmr::test {

class FileSink final : public guestfs::EventSink {
public:
  explicit FileSink(const std::string &path);
  void message(guestfs::LogKind kind, std::string_view text) override;
  void progress(std::uint64_t /*done*/, std::uint64_t /*total*/) override {}

private:
  std::ofstream out_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Launches an appliance over a 1 MiB blank read-only drive and prints
// {"launched": true, "backend": ...}. Returns 0, 2 when the launch failed
// (message on stderr, prefixed by WHO), 1 on any other failure.
int launch_only(guestfs::EventSink &sink, const std::string &who);

} // namespace kvmr::test
