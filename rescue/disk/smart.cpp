// SMART health via smartctl (see smart.hpp).
#include "rescue/disk/smart.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace kvmr::disk {

SmartHealth parse_smartctl_json(const std::string &json_text) {
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return {SmartStatus::unavailable, "smartctl printed no JSON"};
  }
  if (j.contains("smart_status") && j["smart_status"].contains("passed")) {
    const bool passed = j["smart_status"]["passed"].get<bool>();
    return passed ? SmartHealth{SmartStatus::passed, "SMART overall-health self-assessment passed"}
                  : SmartHealth{SmartStatus::failed, "SMART overall-health self-assessment FAILED: "
                                                     "the drive itself predicts failure"};
  }
  std::string why = "the device does not report SMART health";
  if (j.contains("smartctl") && j["smartctl"].contains("messages")) {
    for (const auto &m : j["smartctl"]["messages"]) {
      if (m.contains("string")) {
        why = m["string"].get<std::string>();
        break;
      }
    }
  }
  return {SmartStatus::unsupported, why};
}

SmartHealth smart_health(const std::string &dev, CommandRunner &runner) {
  const auto r = runner.run({"smartctl", "--json", "-H", "-i", dev}, std::chrono::seconds(30));
  if (r.not_found) {
    return {SmartStatus::unavailable, "smartctl is not installed"};
  }
  if (r.timed_out) {
    return {SmartStatus::unavailable, "smartctl did not answer within 30 s"};
  }
  return parse_smartctl_json(r.out);
}

} // namespace kvmr::disk
