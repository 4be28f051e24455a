// IP addresses typed in by a person (a static address, a gateway, a DNS
// server), checked before anything is changed: the error names the input.
#pragma once

#include <string>

namespace kvmr::net {

struct Cidr {
  int family = 4;      // 4 or 6
  std::string address; // as the kernel would print it (inet_ntop)
  int prefix = 0;
  [[nodiscard]] std::string text() const { return address + "/" + std::to_string(prefix); }
};

// "192.168.1.10/24" or "fd00::5/64". Throws InputError naming WHAT (e.g.
// "--address") when the address, the prefix or the slash is missing or
// wrong, or the address is one a port cannot carry (0.0.0.0, multicast,
// the network's broadcast).
Cidr parse_cidr(const std::string &text, const std::string &what);

// A single address ("192.168.1.1", "fd00::1"), no prefix. Returns its
// family (4 or 6) and writes the normalised form to OUT. Throws InputError
// naming WHAT.
int parse_ip(const std::string &text, const std::string &what, std::string &out);

} // namespace kvmr::net
