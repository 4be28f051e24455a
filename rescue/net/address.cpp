// Checking typed-in IP addresses with inet_pton.
#include "rescue/net/address.hpp"

#include "rescue/util/error.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <fmt/format.h>

namespace kvmr::net {
namespace {

int parse_prefix(const std::string &s, int max, const std::string &what, const std::string &text) {
  int v = -1;
  const auto *end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, v);
  if (s.empty() || r.ec != std::errc{} || r.ptr != end || v < 1 || v > max) {
    throw InputError(
        fmt::format("{} '{}': the prefix length must be a number from 1 to {}", what, text, max));
  }
  return v;
}

std::uint32_t v4_value(const std::string &addr) {
  in_addr a{};
  ::inet_pton(AF_INET, addr.c_str(), &a);
  return ntohl(a.s_addr);
}

void check_v4_host(const Cidr &c, const std::string &what, const std::string &text) {
  const std::uint32_t v = v4_value(c.address);
  const unsigned first = v >> 24U;
  if (v == 0 || first >= 224 || first == 127) {
    throw InputError(fmt::format("{} '{}': {} cannot be a port's address", what, text, c.address));
  }
  if (c.prefix <= 30) {
    const std::uint32_t host_mask = ~0U >> static_cast<unsigned>(c.prefix);
    if ((v & host_mask) == 0 || (v & host_mask) == host_mask) {
      throw InputError(fmt::format("{} '{}': {} is the network's {} address, not a host's", what,
                                   text, c.address, (v & host_mask) == 0 ? "own" : "broadcast"));
    }
  }
}

// 4 or 6 with the normalised form in OUT; 0 when TEXT is no address.
int to_address(const std::string &text, std::string &out) {
  std::array<unsigned char, 16> buf{};
  std::array<char, INET6_ADDRSTRLEN> str{};
  for (const int af : {AF_INET, AF_INET6}) {
    if (::inet_pton(af, text.c_str(), buf.data()) == 1) {
      ::inet_ntop(af, buf.data(), str.data(), str.size());
      out = str.data();
      return af == AF_INET ? 4 : 6;
    }
  }
  return 0;
}

} // namespace

int parse_ip(const std::string &text, const std::string &what, std::string &out) {
  const int family = to_address(text, out);
  if (family == 0) {
    throw InputError(fmt::format("{} '{}': not an IPv4 or IPv6 address", what, text));
  }
  return family;
}

Cidr parse_cidr(const std::string &text, const std::string &what) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    throw InputError(fmt::format(
        "{} '{}': give the prefix length too, e.g. 192.168.1.10/24 or fd00::10/64", what, text));
  }
  Cidr c;
  c.family = to_address(text.substr(0, slash), c.address);
  if (c.family == 0) {
    throw InputError(fmt::format("{} '{}': {} is not an IPv4 or IPv6 address", what, text,
                                 text.substr(0, slash)));
  }
  c.prefix = parse_prefix(text.substr(slash + 1), c.family == 4 ? 32 : 128, what, text);
  if (c.family == 4) {
    check_v4_host(c, what, text);
  } else if (c.address == "::" || c.address == "::1" || c.address.starts_with("ff")) {
    throw InputError(fmt::format("{} '{}': {} cannot be a port's address", what, text, c.address));
  }
  return c;
}

} // namespace kvmr::net
