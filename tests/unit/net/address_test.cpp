// Typed-in addresses: what is accepted, normalised, and refused with the
// option named.
#include "rescue/net/address.hpp"
#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

using namespace kvmr::net; // NOLINT(google-build-using-namespace)
using kvmr::InputError;

TEST_CASE("ADDR/PREFIX: IPv4 and IPv6, normalised") {
  const Cidr a = parse_cidr("192.168.1.10/24", "--address");
  CHECK(a.family == 4);
  CHECK(a.address == "192.168.1.10");
  CHECK(a.prefix == 24);
  CHECK(a.text() == "192.168.1.10/24");
  const Cidr b = parse_cidr("FD00:0:0::0010/64", "--address");
  CHECK(b.family == 6);
  CHECK(b.text() == "fd00::10/64");
  CHECK(parse_cidr("10.0.0.1/32", "--address").prefix == 32);
  CHECK(parse_cidr("10.0.0.0/31", "--address").address == "10.0.0.0"); // RFC 3021 point-to-point
}

TEST_CASE("ADDR/PREFIX: refused with the option and the reason") {
  CHECK_THROWS_WITH_AS(parse_cidr("192.168.1.10", "--address"),
                       doctest::Contains("--address '192.168.1.10': give the prefix length"),
                       InputError);
  CHECK_THROWS_WITH_AS(parse_cidr("192.168.1.10/33", "--address"),
                       doctest::Contains("from 1 to 32"), InputError);
  CHECK_THROWS_WITH_AS(parse_cidr("fd00::1/129", "--address"), doctest::Contains("from 1 to 128"),
                       InputError);
  CHECK_THROWS_WITH_AS(parse_cidr("192.168.1.10/2x", "--address"),
                       doctest::Contains("prefix length"), InputError);
  CHECK_THROWS_WITH_AS(parse_cidr("192.168.1.10/", "--address"), doctest::Contains("prefix length"),
                       InputError);
  CHECK_THROWS_WITH_AS(parse_cidr("192.168.1.300/24", "--address"),
                       doctest::Contains("192.168.1.300 is not an IPv4 or IPv6 address"),
                       InputError);
  CHECK_THROWS_WITH_AS(parse_cidr("eth0/24", "--address"), doctest::Contains("--address 'eth0/24'"),
                       InputError);
  CHECK_THROWS_WITH_AS(parse_cidr("192.168.1.0/24", "--address"),
                       doctest::Contains("network's own address"), InputError);
  CHECK_THROWS_WITH_AS(parse_cidr("192.168.1.255/24", "--address"), doctest::Contains("broadcast"),
                       InputError);
  CHECK_THROWS_AS(parse_cidr("0.0.0.0/8", "--address"), InputError);
  CHECK_THROWS_AS(parse_cidr("127.0.0.5/8", "--address"), InputError);
  CHECK_THROWS_AS(parse_cidr("224.0.0.1/24", "--address"), InputError);
  CHECK_THROWS_AS(parse_cidr("ff02::1/64", "--address"), InputError);
  CHECK_THROWS_AS(parse_cidr("::1/128", "--address"), InputError);
}

TEST_CASE("a single address: gateway, DNS") {
  std::string out;
  CHECK(parse_ip("10.1.2.3", "--gateway", out) == 4);
  CHECK(out == "10.1.2.3");
  CHECK(parse_ip("2001:DB8::1", "--dns", out) == 6);
  CHECK(out == "2001:db8::1");
  CHECK_THROWS_WITH_AS(parse_ip("10.1.2.3/24", "--gateway", out),
                       doctest::Contains("--gateway '10.1.2.3/24'"), InputError);
  CHECK_THROWS_WITH_AS(parse_ip("", "--dns", out), doctest::Contains("--dns ''"), InputError);
  CHECK_THROWS_AS(parse_ip("dns.example", "--dns", out), InputError);
}
