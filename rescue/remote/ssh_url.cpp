// Parsing the network target's address (see ssh_url.hpp).
#include "rescue/remote/ssh_url.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace kvmr::remote {
namespace {

constexpr std::string_view kScheme = "ssh://";

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool valid_user(std::string_view u) {
  // Login names as useradd takes them; never an option for ssh ("-o...").
  return !u.empty() && u.size() <= 32 && u.front() != '-' &&
         std::all_of(u.begin(), u.end(), [](char c) { return name_char(c); });
}

bool valid_host(std::string_view h) {
  return !h.empty() && h.size() <= 253 && h.front() != '-' && h.front() != '.' &&
         std::all_of(h.begin(), h.end(), [](char c) { return name_char(c); });
}

bool valid_ipv6(std::string_view h) {
  return h.size() >= 2 && h.size() <= 45 && h.find(':') != std::string_view::npos &&
         std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':' || c == '.';
         });
}

std::string normal_dir(const std::string &text, std::string_view dir) {
  if (dir.find('\0') != std::string_view::npos || dir.find('\n') != std::string_view::npos) {
    throw InputError(fmt::format("target {}: the directory holds a control character", text));
  }
  for (const auto &part : std::filesystem::path(dir)) {
    if (part == "..") {
      throw InputError(fmt::format("target {}: the directory must not contain \"..\"", text));
    }
  }
  std::string out = std::filesystem::path(dir).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

struct HostPort {
  std::string host;
  int port = 22;
};

HostPort split_host_port(const std::string &text, std::string_view hp) {
  HostPort out;
  std::string_view port;
  if (hp.starts_with('[')) {
    const auto close = hp.find(']');
    if (close == std::string_view::npos) {
      throw InputError(fmt::format("target {}: \"[\" without \"]\" around the IPv6 address", text));
    }
    out.host = std::string(hp.substr(1, close - 1));
    const std::string_view rest = hp.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      throw InputError(fmt::format("target {}: unexpected text after \"]\"", text));
    }
    port = rest.empty() ? rest : rest.substr(1);
    if (!valid_ipv6(out.host)) {
      throw InputError(fmt::format("target {}: \"{}\" is not an IPv6 address", text, out.host));
    }
  } else {
    const auto colon = hp.rfind(':');
    out.host = std::string(hp.substr(0, colon));
    port = colon == std::string_view::npos ? std::string_view() : hp.substr(colon + 1);
    if (!valid_host(out.host)) {
      throw InputError(
          fmt::format("target {}: \"{}\" is not a host name or address", text, out.host));
    }
  }
  if (!port.empty()) {
    int n = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535) {
      throw InputError(fmt::format("target {}: port \"{}\" is not a number from 1 to 65535", text,
                                   std::string(port)));
    }
    out.port = n;
  }
  return out;
}

} // namespace

bool is_ssh_url(std::string_view text) {
  return text.starts_with(kScheme);
}

SshUrl parse_ssh_url(const std::string &text) {
  if (!is_ssh_url(text)) {
    throw InputError(fmt::format("target {}: not an ssh:// address", text));
  }
  std::string_view rest = std::string_view(text).substr(kScheme.size());
  SshUrl u;
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && rest.substr(slash) != "/") {
    u.dir = normal_dir(text, rest.substr(slash));
  }
  std::string_view hp = authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    u.user = std::string(authority.substr(0, at));
    hp = authority.substr(at + 1);
    if (!valid_user(u.user)) {
      throw InputError(fmt::format("target {}: \"{}\" is not a user name", text, u.user));
    }
  }
  const HostPort h = split_host_port(text, hp);
  u.host = h.host;
  u.port = h.port;
  return u;
}

std::string host_for_ssh(const SshUrl &u) {
  return u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
}

std::string to_string(const SshUrl &u) {
  return fmt::format("ssh://{}@{}:{}{}", u.user, host_for_ssh(u), u.port, u.dir);
}

} // namespace kvmr::remote
