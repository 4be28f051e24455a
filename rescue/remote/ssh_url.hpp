// The network target's address, ssh://[USER@]HOST[:PORT][/DIR]: the other
// KVM host the VMs are copied to (docs/cli.md, "--target ssh://").
#pragma once

#include <string>
#include <string_view>

namespace kvmr::remote {

struct SshUrl {
  std::string user = "root"; // root, or a user with passwordless sudo
  std::string host;          // a name, an IPv4 address, or an IPv6 one (no brackets)
  int port = 22;
  std::string dir; // absolute and normal; empty: the remote's default pool path
  friend bool operator==(const SshUrl &, const SshUrl &) = default;
};

// True when TEXT starts with "ssh://".
bool is_ssh_url(std::string_view text);

// Throws InputError naming TEXT and what is wrong with it.
SshUrl parse_ssh_url(const std::string &text);

// "ssh://root@host:22/var/lib/libvirt/images" (the port always, brackets
// around an IPv6 host, DIR when set).
std::string to_string(const SshUrl &u);

// HOST as ssh and known_hosts write it: "[::1]" for IPv6.
std::string host_for_ssh(const SshUrl &u);

} // namespace kvmr::remote
