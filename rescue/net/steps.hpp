// Steps shared by the DHCP and the static bring-up (internal to rescue/net).
#pragma once

#include "rescue/net/bring_up.hpp"

#include <string>
#include <vector>

namespace kvmr::net::detail {

// Runs ip with ARGS; on failure sets R.error to "NIC: STEP: <ip's
// message>" and returns false.
bool run_ip(CommandRunner &runner, const std::vector<std::string> &args, const std::string &step,
            UpResult &r);

// R.after: the port as it is now (empty name when it vanished).
void read_back(CommandRunner &runner, const NetOptions &opts, UpResult &r);

// False with R.error set unless R.nic is a port under OPTS.sys_class_net.
bool nic_exists(const NetOptions &opts, UpResult &r);

// The last non-empty line of a tool's stderr, for an error message.
std::string last_line(const std::string &text);

// Stops the DHCP client this module started on NIC (its pid file in
// OPTS.state_dir), if it still runs.
void stop_dhcp_client(const std::string &nic, CommandRunner &runner, const NetOptions &opts);

} // namespace kvmr::net::detail
