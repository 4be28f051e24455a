// SMART verdicts from smartctl's JSON, and the runner seam for a missing
// smartctl.
#include "rescue/disk/smart.hpp"

#include <doctest/doctest.h>

using namespace kvmr;       // NOLINT(google-build-using-namespace)
using namespace kvmr::disk; // NOLINT(google-build-using-namespace)

namespace {
class FakeRunner final : public CommandRunner {
public:
  explicit FakeRunner(CommandResult r) : result_(std::move(r)) {}
  CommandResult run(const std::vector<std::string> &argv,
                    std::chrono::milliseconds /*timeout*/) override {
    seen_ = argv;
    return result_;
  }
  std::vector<std::string> seen_;

private:
  CommandResult result_;
};
} // namespace

TEST_CASE("passed and failed health") {
  CHECK(parse_smartctl_json(R"({"smart_status":{"passed":true}})").status == SmartStatus::passed);
  const auto f = parse_smartctl_json(R"({"smart_status":{"passed":false}})");
  CHECK(f.status == SmartStatus::failed);
  CHECK(f.detail.find("FAILED") != std::string::npos);
}

TEST_CASE("a device without SMART says why") {
  const auto h = parse_smartctl_json(
      R"({"smartctl":{"messages":[{"string":"/dev/vda: Unable to detect device type","severity":"error"}]}})");
  CHECK(h.status == SmartStatus::unsupported);
  CHECK(h.detail == "/dev/vda: Unable to detect device type");
  CHECK(parse_smartctl_json("garbage").status == SmartStatus::unavailable);
}

TEST_CASE("the runner is asked for smartctl --json and a missing tool is unavailable") {
  CommandResult missing;
  missing.not_found = true;
  FakeRunner r(missing);
  const auto h = smart_health("/dev/sdz", r);
  CHECK(h.status == SmartStatus::unavailable);
  REQUIRE(r.seen_.size() >= 2);
  CHECK(r.seen_[0] == "smartctl");
  CHECK(r.seen_.back() == "/dev/sdz");
}
