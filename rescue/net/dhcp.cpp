// DHCP on one port: dhclient (isc-dhcp-client on Debian, dhcp-client on
// EL 9) when installed, else dhcpcd; bounded in time, with its lease, pid
// and configuration files under NetOptions::state_dir.
#include "rescue/net/bring_up.hpp"

#include "rescue/net/steps.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sys/stat.h>
#include <system_error>

namespace kvmr::net {
namespace fs = std::filesystem;
namespace {

// Beyond the client's own time-out: its start and the configuration
// script (dhclient-script sets the address, the route, resolv.conf).
constexpr auto kClientMargin = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(15);

fs::path state_file(const NetOptions &opts, const std::string &client, const std::string &nic,
                    const char *suffix) {
  return opts.state_dir / (client + "-" + nic + suffix);
}

bool make_state_dir(const NetOptions &opts, UpResult &r) {
  std::error_code ec;
  fs::create_directories(opts.state_dir, ec);
  if (ec) {
    r.error = fmt::format("{}: creating {}: {}", r.nic, opts.state_dir.string(), ec.message());
    return false;
  }
  ::chmod(opts.state_dir.c_str(), 0700);
  return true;
}

bool write_text(const fs::path &path, const std::string &text, UpResult &r) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    r.error = fmt::format("{}: could not write {}", r.nic, path.string());
    return false;
  }
  return true;
}

// What went wrong, for a person: no answer within the time (with the link
// state: a missing cable is the usual reason), or the client's last word.
std::string dhcp_failure(const std::string &client, const CommandResult &res,
                         const NetOptions &opts, CommandRunner &runner, const std::string &nic) {
  UpResult probe;
  probe.nic = nic;
  detail::read_back(runner, opts, probe);
  const std::string link = probe.after.name.empty() ? "gone" : link_state_name(probe.after.link);
  if (res.timed_out || (client == "dhclient" && res.exit_code == 2) ||
      (client == "dhcpcd" && res.exit_code == 1 &&
       res.err.find("timed out") != std::string::npos)) {
    return fmt::format("{}: no DHCP server answered within {} s ({}; link {})", nic,
                       opts.dhcp_timeout.count(), client, link);
  }
  return fmt::format("{}: {} failed (exit {}; link {}): {}", nic, client, res.exit_code, link,
                     detail::last_line(res.err));
}

} // namespace

std::string dhclient_conf(std::chrono::seconds timeout) {
  return fmt::format(
      "# kvm-rescue network --dhcp: written for this port, not the system's dhclient.conf\n"
      "option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n"
      "send host-name = gethostname();\n"
      "request subnet-mask, broadcast-address, time-offset, routers,\n"
      "        domain-name, domain-name-servers, domain-search, host-name,\n"
      "        interface-mtu, rfc3442-classless-static-routes;\n"
      "timeout {};\n"
      "initial-interval 2;\n",
      timeout.count());
}

std::vector<std::string> dhclient_argv(const std::string &nic, const NetOptions &opts) {
  // -1: one try, exit 2 without a lease; then it stays in the background
  // to renew (Debian's dhclient-script gives the address the lease's
  // lifetime: without the client it would expire).
  std::vector<std::string> argv{"dhclient",
                                "-1",
                                "-v",
                                "-cf",
                                state_file(opts, "dhclient", nic, ".conf").string(),
                                "-lf",
                                state_file(opts, "dhclient", nic, ".leases").string(),
                                "-pf",
                                state_file(opts, "dhclient", nic, ".pid").string(),
                                nic};
  return argv;
}

std::vector<std::string> dhcpcd_argv(const std::string &nic, const NetOptions &opts) {
  // -4: the IPv4 lease (an SSH target is reached by address or name);
  // -w: wait for it, then fork to renew; -t: the time bound.
  std::vector<std::string> argv{
      "dhcpcd", "-4", "-w", "-t", std::to_string(opts.dhcp_timeout.count()), nic};
  return argv;
}

namespace detail {

void stop_dhcp_client(const std::string &nic, CommandRunner &runner, const NetOptions &opts) {
  std::error_code ec;
  const fs::path pid = state_file(opts, "dhclient", nic, ".pid");
  if (fs::exists(pid, ec)) {
    // -x: the running client stops (dhclient-script removes its address).
    auto argv = dhclient_argv(nic, opts);
    argv.insert(argv.begin() + 1, "-x");
    runner.run(argv, kStopTimeout);
    fs::remove(pid, ec);
  }
  const fs::path marker = state_file(opts, "dhcpcd", nic, ".started");
  if (fs::exists(marker, ec)) {
    runner.run({"dhcpcd", "-x", nic}, kStopTimeout);
    fs::remove(marker, ec);
  }
}

} // namespace detail

UpResult bring_up_dhcp(const std::string &nic, CommandRunner &runner, const NetOptions &opts) {
  UpResult r;
  r.nic = nic;
  r.method = "dhcp";
  if (!detail::nic_exists(opts, r) || !make_state_dir(opts, r) ||
      !detail::run_ip(runner, {"link", "set", "dev", nic, "up"}, "switching it on", r)) {
    return r;
  }
  detail::stop_dhcp_client(nic, runner, opts);
  const auto limit = opts.dhcp_timeout + kClientMargin;
  if (!write_text(state_file(opts, "dhclient", nic, ".conf"), dhclient_conf(opts.dhcp_timeout),
                  r)) {
    return r;
  }
  CommandResult res = runner.run(dhclient_argv(nic, opts), limit);
  r.client = "dhclient";
  if (res.not_found) {
    r.client = "dhcpcd";
    if (!write_text(state_file(opts, "dhcpcd", nic, ".started"), "", r)) {
      return r;
    }
    res = runner.run(dhcpcd_argv(nic, opts), limit);
  }
  if (res.not_found) {
    r.client.clear();
    r.error = fmt::format("{}: no DHCP client is installed (dhclient from isc-dhcp-client or "
                          "dhcp-client, or dhcpcd)",
                          nic);
  } else if (res.exit_code == 0) {
    r.ok = true;
  } else {
    r.error = dhcp_failure(r.client, res, opts, runner, nic);
  }
  detail::read_back(runner, opts, r);
  return r;
}

} // namespace kvmr::net
