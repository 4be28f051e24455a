// virt-xml-validate around libvirt XML files (see xml_validate.hpp).
#include "rescue/finish/xml_validate.hpp"

#include <fmt/format.h>

#include <chrono>

namespace kvmr::finish {

namespace {

// What the tool said (stderr, then stdout), without trailing blank lines.
std::string complaint(const CommandResult &res) {
  std::string text = res.err.empty() ? res.out : res.err + res.out;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.empty() ? fmt::format("exit status {}", res.exit_code) : text;
}

} // namespace

const char *schema_name(XmlKind k) noexcept {
  switch (k) {
  case XmlKind::domain: return "domain";
  case XmlKind::network: return "network";
  case XmlKind::pool: return "storagepool";
  case XmlKind::secret: return "secret";
  case XmlKind::domainsnapshot: return "domainsnapshot";
  }
  return "domain";
}

const char *to_string(Validity v) noexcept {
  switch (v) {
  case Validity::ok: return "ok";
  case Validity::invalid: return "invalid";
  case Validity::not_available: return "not available";
  }
  return "not available";
}

ValidationResult validate_libvirt_xml(const std::string &path, XmlKind kind,
                                      CommandRunner *runner) {
  SystemCommandRunner system;
  CommandRunner &r = runner == nullptr ? system : *runner;
  // "--" so a path starting with "-" is not taken for an option.
  const auto res =
      r.run({"virt-xml-validate", "--", path, schema_name(kind)}, std::chrono::seconds(120));
  ValidationResult out;
  if (res.not_found) {
    out.status = Validity::not_available;
    out.message = "virt-xml-validate is not installed (package libvirt-clients): " + path +
                  " was not checked against libvirt's schema";
    return out;
  }
  if (res.timed_out) {
    out.status = Validity::not_available;
    out.message = fmt::format("{}: virt-xml-validate did not finish in 120 s", path);
    return out;
  }
  // virt-xml-validate: 0 valid; xmllint's 1 (not well-formed), 3 (does not
  // match the schema); the script's own 2 (no such file). 4 (the schema is
  // not installed) and anything else mean the check could not be made.
  switch (res.exit_code) {
  case 0: out.status = Validity::ok; break;
  case 1:
  case 2:
  case 3:
    out.status = Validity::invalid;
    out.message =
        fmt::format("{}: not valid libvirt {} XML: {}", path, schema_name(kind), complaint(res));
    break;
  default:
    out.status = Validity::not_available;
    out.message = fmt::format("{}: virt-xml-validate could not check it ({}): {}", path,
                              schema_name(kind), complaint(res));
    break;
  }
  return out;
}

} // namespace kvmr::finish
