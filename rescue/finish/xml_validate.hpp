// Checking a (rewritten) libvirt XML file against libvirt's own RelaxNG
// schemas with the real `virt-xml-validate FILE SCHEMA` (libvirt-clients),
// so a file the new host's libvirt would refuse is caught on the target
// before anyone runs `virsh define`.
#pragma once

#include "rescue/util/command.hpp"

#include <string>

namespace kvmr::finish {

enum class XmlKind { domain, network, pool, secret, domainsnapshot };

// virt-xml-validate's schema name: "domain", "network", "storagepool",
// "secret", "domainsnapshot".
const char *schema_name(XmlKind k) noexcept;

enum class Validity {
  ok,           // the file validates
  invalid,      // it does not (message: what virt-xml-validate said)
  not_available // virt-xml-validate is not installed (or could not run)
};
const char *to_string(Validity v) noexcept;

struct ValidationResult {
  Validity status = Validity::not_available;
  // invalid: "FILE: <the tool's complaint>"; not_available: why.
  std::string message;
  [[nodiscard]] bool ok() const noexcept { return status == Validity::ok; }
};

// Validates the file at PATH as KIND through RUNNER (null: the system's).
// Never throws for an invalid file; throws SysError only when the runner
// itself fails.
ValidationResult validate_libvirt_xml(const std::string &path, XmlKind kind,
                                      CommandRunner *runner = nullptr);

} // namespace kvmr::finish
