// A static address on one port; the checks and steps both bring-ups share.
#include "rescue/net/bring_up.hpp"

#include "rescue/net/steps.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>

namespace kvmr::net {
namespace {

constexpr auto kIpTimeout = std::chrono::seconds(15);

bool write_resolv_conf(const NetOptions &opts, const std::string &dns, UpResult &r) {
  std::ofstream out(opts.resolv_conf, std::ios::trunc);
  out << "# written by kvm-rescue network --dns\nnameserver " << dns << "\n";
  out.close();
  if (!out) {
    r.error = fmt::format("{}: could not write {}", r.nic, opts.resolv_conf.string());
    return false;
  }
  return true;
}

} // namespace

namespace detail {

std::string last_line(const std::string &text) {
  std::string last;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    if (end > start) {
      last = text.substr(start, end - start);
    }
    start = end + 1;
  }
  return last;
}

bool run_ip(CommandRunner &runner, const std::vector<std::string> &args, const std::string &step,
            UpResult &r) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult res = runner.run(argv, kIpTimeout);
  if (res.exit_code == 0) {
    return true;
  }
  const std::string why = res.not_found   ? "ip is not installed (iproute2)"
                          : res.timed_out ? "ip did not finish"
                                          : last_line(res.err);
  r.error = fmt::format("{}: {}: {}", r.nic, step, why);
  return false;
}

bool nic_exists(const NetOptions &opts, UpResult &r) {
  try {
    require_nic(read_sysfs_nics(opts.sys_class_net), r.nic);
    return true;
  } catch (const std::exception &e) {
    r.error = e.what();
    return false;
  }
}

void read_back(CommandRunner &runner, const NetOptions &opts, UpResult &r) {
  try {
    const auto nics = list_nics(runner, opts.sys_class_net);
    if (const Nic *n = find_nic(nics, r.nic)) {
      r.after = *n;
    }
  } catch (const std::exception &e) {
    if (r.error.empty()) {
      r.error = fmt::format("{}: reading the port back: {}", r.nic, e.what());
      r.ok = false;
    }
  }
}

} // namespace detail

void require_nic(const std::vector<Nic> &nics, const std::string &nic) {
  if (find_nic(nics, nic) != nullptr) {
    return;
  }
  std::vector<std::string> names;
  names.reserve(nics.size());
  for (const auto &n : nics) {
    names.push_back(n.name);
  }
  throw InputError(
      fmt::format("no network port '{}'; ports here: {}", nic,
                  names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
}

StaticConfig parse_static(const std::vector<Nic> &nics, const std::string &nic,
                          const std::string &address, const std::string &gateway,
                          const std::string &dns) {
  require_nic(nics, nic);
  StaticConfig cfg;
  cfg.nic = nic;
  cfg.address = parse_cidr(address, "--address");
  if (!gateway.empty()) {
    const int family = parse_ip(gateway, "--gateway", cfg.gateway);
    if (family != cfg.address.family) {
      throw InputError(fmt::format("--gateway '{}': an IPv{} gateway for the IPv{} address {}",
                                   gateway, family, cfg.address.family, cfg.address.text()));
    }
  }
  if (!dns.empty()) {
    parse_ip(dns, "--dns", cfg.dns);
  }
  return cfg;
}

UpResult bring_up_static(const StaticConfig &cfg, CommandRunner &runner, const NetOptions &opts) {
  UpResult r;
  r.nic = cfg.nic;
  r.method = "static";
  if (!detail::nic_exists(opts, r)) {
    return r;
  }
  detail::stop_dhcp_client(cfg.nic, runner, opts);
  const std::string family = cfg.address.family == 4 ? "-4" : "-6";
  r.ok = detail::run_ip(runner, {"link", "set", "dev", cfg.nic, "up"}, "switching it on", r) &&
         detail::run_ip(runner, {family, "addr", "replace", cfg.address.text(), "dev", cfg.nic},
                        "setting " + cfg.address.text(), r) &&
         (cfg.gateway.empty() ||
          detail::run_ip(
              runner, {family, "route", "replace", "default", "via", cfg.gateway, "dev", cfg.nic},
              "the default route through " + cfg.gateway, r)) &&
         (cfg.dns.empty() || write_resolv_conf(opts, cfg.dns, r));
  detail::read_back(runner, opts, r);
  return r;
}

} // namespace kvmr::net
