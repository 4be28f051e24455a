// The network target's address: what is taken, and what is refused with a
// message naming it.
#include "rescue/remote/ssh_url.hpp"
#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kvmr;
using remote::parse_ssh_url;

TEST_CASE("ssh_url: the parts, with their defaults") {
  const auto a = parse_ssh_url("ssh://kvm02");
  CHECK(a.user == "root");
  CHECK(a.host == "kvm02");
  CHECK(a.port == 22);
  CHECK(a.dir.empty());
  const auto b = parse_ssh_url("ssh://admin@kvm02.example.jp:2222/srv/vms/");
  CHECK(b.user == "admin");
  CHECK(b.host == "kvm02.example.jp");
  CHECK(b.port == 2222);
  CHECK(b.dir == "/srv/vms");
  const auto c = parse_ssh_url("ssh://[fe80::1]:22/var/lib/libvirt//images");
  CHECK(c.host == "fe80::1");
  CHECK(c.dir == "/var/lib/libvirt/images");
  CHECK(remote::host_for_ssh(c) == "[fe80::1]");
  CHECK(remote::to_string(b) == "ssh://admin@kvm02.example.jp:2222/srv/vms");
  CHECK(parse_ssh_url("ssh://10.0.0.2/").dir.empty());
}

TEST_CASE("ssh_url: what ssh could take for an option or a second command is refused") {
  for (const std::string bad :
       {"kvm02", "ssh://", "ssh://-oProxyCommand=x", "ssh://-x@kvm02", "ssh://kvm02:0",
        "ssh://kvm02:70000", "ssh://kvm02:22x", "ssh://a b", "ssh://kvm02;reboot",
        "ssh://kvm02/srv/../etc", "ssh://[fe80::1", "ssh://[zz::1]", "ssh://us$er@kvm02",
        "ssh://kvm02/srv/a\nb"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_ssh_url(bad), InputError);
  }
  try {
    parse_ssh_url("ssh://kvm02:99999");
  } catch (const InputError &e) {
    CHECK(std::string(e.what()).find("ssh://kvm02:99999") != std::string::npos);
    CHECK(std::string(e.what()).find("port") != std::string::npos);
  }
}
