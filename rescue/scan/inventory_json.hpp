// The inventory as JSON (docs/schemas/scan.schema.json). Secret values and
// the root password hash are never held, so they cannot be printed;
// qemu.conf settings whose names say password or secret are redacted.
// Strings are the old disk's bytes: dump with error_handler_t::replace.
#pragma once

#include "rescue/scan/inventory.hpp"

#include <nlohmann/json.hpp>

namespace kvmr::scan {

nlohmann::json to_json(const HostInventory &inv);
nlohmann::json to_json(const VmInfo &vm);
nlohmann::json to_json(const ImageChain &chain);

} // namespace kvmr::scan
