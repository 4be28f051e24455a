#include "kickstart/dialect.hpp"

#include "rescue/util/error.hpp"

#include <algorithm>
#include <cctype>

namespace kvmr::kickstart {

const char *to_string(Dialect d) noexcept {
  switch (d) {
  case Dialect::el7: return "el7";
  case Dialect::el8: return "el8";
  case Dialect::el9: return "el9";
  }
  return "el7";
}

Dialect parse_dialect(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char *prefix : {"centos", "rhel", "alma", "rocky", "el"}) {
    const std::string p(prefix);
    if (n.size() > p.size() && n.compare(0, p.size(), p) == 0) {
      const std::string v = n.substr(p.size());
      if (v == "7") {
        return Dialect::el7;
      }
      if (v == "8") {
        return Dialect::el8;
      }
      if (v == "9") {
        return Dialect::el9;
      }
    }
  }
  throw InputError("unknown kickstart dialect '" + std::string(name) +
                   "': use el7 (CentOS 7), el8 or el9");
}

const char *ksvalidator_version(Dialect d) noexcept {
  switch (d) {
  case Dialect::el7: return "RHEL7";
  case Dialect::el8: return "RHEL8";
  case Dialect::el9: return "RHEL9";
  }
  return "RHEL7";
}

std::vector<std::string> libvirt_units(Dialect d) {
  if (d == Dialect::el9) {
    return {"virtqemud.socket",   "virtnetworkd.socket", "virtstoraged.socket",
            "virtsecretd.socket", "virtnodedevd.socket", "virtinterfaced.socket",
            "virtproxyd.socket",  "virtlogd.socket",     "virtlockd.socket"};
  }
  return {"libvirtd.service"};
}

const char *ovmf_package(Dialect d) noexcept {
  return d == Dialect::el7 ? "OVMF" : "edk2-ovmf";
}

const char *ovmf_dir(Dialect d) noexcept {
  return d == Dialect::el7 ? "/usr/share/OVMF" : "/usr/share/edk2/ovmf";
}

} // namespace kvmr::kickstart
