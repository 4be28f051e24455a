// The network ports and a bring-up's outcome as JSON
// (docs/schemas/network.schema.json, `kvm-rescue network --json`).
#pragma once

#include "rescue/net/bring_up.hpp"
#include "rescue/net/nic.hpp"

#include <nlohmann/json.hpp>

namespace kvmr::net {

nlohmann::json nic_json(const Nic &n);

// {"schema_version": 1, "kind": "kvm-rescue.network", "nics": [...]},
// with "result" when UP is given (what --dhcp or --static did).
nlohmann::json network_report(const std::vector<Nic> &nics, const UpResult *up = nullptr);

} // namespace kvmr::net
