// JSON of the network ports and of a bring-up.
#include "rescue/net/nic_json.hpp"

namespace kvmr::net {

nlohmann::json nic_json(const Nic &n) {
  nlohmann::json addrs = nlohmann::json::array();
  for (const auto &a : n.addresses) {
    addrs.push_back({{"family", a.family == 6 ? "ipv6" : "ipv4"},
                     {"address", a.address},
                     {"prefix", a.prefix},
                     {"scope", a.scope}});
  }
  return {{"name", n.name},
          {"mac", n.mac},
          {"driver", n.driver},
          {"kind", n.kind},
          {"virtual", n.is_virtual},
          {"link", link_state_name(n.link)},
          {"operstate", n.operstate},
          {"speed_mbps", n.speed_mbps ? nlohmann::json(*n.speed_mbps) : nlohmann::json(nullptr)},
          {"addresses", addrs}};
}

nlohmann::json network_report(const std::vector<Nic> &nics, const UpResult *up) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto &n : nics) {
    list.push_back(nic_json(n));
  }
  nlohmann::json doc{{"schema_version", 1}, {"kind", "kvm-rescue.network"}, {"nics", list}};
  if (up != nullptr) {
    doc["result"] = {{"nic", up->nic},
                     {"method", up->method},
                     {"client", up->client},
                     {"ok", up->ok},
                     {"error", up->error}};
  }
  return doc;
}

} // namespace kvmr::net
