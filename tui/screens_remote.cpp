// Screen 5's other way: another KVM host over the network. The Remote host
// form (network, address, login), the Network screen (the ports with their
// link state; DHCP or a static address on one), and the connection: the
// host key shown and confirmed, a password asked once, the plan made
// there (refused with the reasons when that host cannot take it).
#include "rescue/net/address.hpp"
#include "rescue/net/bring_up.hpp"
#include "rescue/remote/ssh_url.hpp"
#include "rescue/util/command.hpp"
#include "tui/screens.hpp"
#include "tui/task.hpp"
#include "tui/widgets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kvmr::tui {
namespace {

constexpr int kStep = 5;

// The ports as they are now; empty (with a note) when ip cannot tell.
std::vector<net::Nic> read_nics(Ui &ui) {
  try {
    SystemCommandRunner runner;
    return net::list_nics(runner);
  } catch (const std::exception &e) {
    ui.note(std::string("network ports: ") + e.what());
    return {};
  }
}

// The bring-up's outcome in a box; on success it is kept for a replay.
void show_bring_up(Ui &ui, WizardState &s, const net::UpResult &r, const plan::NetworkChoice &c) {
  if (!r.ok) {
    message_box(ui, "Network", r.error);
    return;
  }
  s.net = c;
  const std::string addrs = nic_addresses({r.after});
  message_box(ui, "Network",
              fmt::format("{} is up ({}): {}", r.nic, r.method,
                          addrs.empty() ? std::string("no address yet") : addrs));
}

void dhcp_on(Ui &ui, WizardState &s, const std::string &nic) {
  net::UpResult up;
  const TaskResult r = run_task(ui, "Network", kStep, [&](Task &t) {
    t.set_status("asking for an address by DHCP on " + nic + " (up to a minute)...");
    SystemCommandRunner runner;
    up = net::bring_up_dhcp(nic, runner);
  });
  if (r.ok) {
    show_bring_up(ui, s, up, {nic, "dhcp", "", "", ""});
  } else if (!r.error.empty()) {
    message_box(ui, "Network", r.error);
  }
}

void static_on(Ui &ui, WizardState &s, const std::vector<net::Nic> &nics, const std::string &nic) {
  const auto addr = ask_text(ui, "Static address",
                             "Address and prefix for " + nic + " (for example 192.168.1.50/24):");
  if (!addr) {
    return;
  }
  const auto gw = ask_text(ui, "Gateway", "Default gateway (empty: none, the host is local):");
  if (!gw) {
    return;
  }
  const auto dns = ask_text(ui, "DNS server", "DNS server (empty: none, use an address):");
  if (!dns) {
    return;
  }
  try {
    const net::StaticConfig cfg = net::parse_static(nics, nic, *addr, *gw, *dns);
    SystemCommandRunner runner;
    show_bring_up(ui, s, net::bring_up_static(cfg, runner), {nic, "static", *addr, *gw, *dns});
  } catch (const std::exception &e) {
    message_box(ui, "Network", e.what());
  }
}

// The Network screen: false when a signal came.
bool screen_network(Ui &ui, WizardState &s) {
  std::vector<net::Nic> nics = read_nics(ui);
  ListBox list;
  for (;;) {
    list.rows.clear();
    for (const auto &n : nics) {
      list.rows.push_back(nic_row(n));
    }
    if (ui.frame("Network", kStep, "d: DHCP  s: static address  r: read again  Esc: back")) {
      ui.put(2, 1, "The network ports of this machine; bring one up to reach the other host.");
      ui.put(3, 1, "  PORT         LINK       MAC               DRIVER       ADDRESSES", Role::dim);
      if (nics.empty()) {
        ui.put(5, 3, "No network port was found (no driver for it on this medium?).",
               Role::warning);
      }
      list.draw(ui, 4, ui.rows() - 7);
      ui.put(ui.rows() - 2, 1,
             "up: cable in and switched on  no-carrier: no cable or switch port off", Role::dim);
    }
    ui.refresh();
    const Key k = ui.key();
    if (list.handle(k, ui.rows() - 7)) {
      continue;
    }
    if ((k == 'd' || k == 's') && list.cursor < nics.size()) {
      if (k == 'd') {
        dhcp_on(ui, s, nics[list.cursor].name);
      } else {
        static_on(ui, s, nics, nics[list.cursor].name);
      }
      nics = read_nics(ui);
    } else if (k == 'r') {
      nics = read_nics(ui);
    } else if (k == kEsc) {
      return true;
    } else if (k == kStop) {
      return false;
    } else if (const auto n = common_key(
                   ui, k, "Network",
                   "d asks for an address by DHCP on the port under the cursor; s sets one you "
                   "type (address/prefix, gateway, DNS). Nothing else on the network is "
                   "touched. A replay of the answer file sets the same up again.")) {
      if (*n == Nav::stop) {
        return false;
      }
    }
  }
}

struct RemoteForm {
  std::string url;
  std::string identity; // empty: a password, asked when connecting
  std::size_t field = 0;
};

void draw_remote(Ui &ui, const RemoteForm &f, const std::string &addresses) {
  if (!ui.frame("Remote host", kStep,
                "Up/Down: field  Enter: change  c: connect  Esc: back  ?: help")) {
    return;
  }
  ui.put(2, 1, "The other KVM host that takes the VMs and runs them (over SSH):");
  const std::array<std::pair<std::string, std::string>, 3> rows{{
      {"Network",
       addresses.empty() ? "no address yet (Enter: set one up)" : "this machine: " + addresses},
      {"Address", f.url.empty() ? "(type ssh://[USER@]HOST[:PORT][/DIR])" : f.url},
      {"Login", f.identity.empty() ? "password (asked when connecting)" : "key " + f.identity},
  }};
  for (std::size_t n = 0; n < rows.size(); ++n) {
    ui.line(4 + static_cast<int>(n),
            fmt::format("{} {:<10} {}", n == f.field ? ">" : " ", rows[n].first, rows[n].second),
            n == f.field ? Role::highlight : Role::normal);
  }
  ui.put(9, 1, "USER is root, or a user with passwordless sudo. DIR: default the host's",
         Role::dim);
  ui.put(10, 1, "default pool. Nothing there is overwritten; the VMs are defined only", Role::dim);
  ui.put(11, 1, "after you have seen the restore's dry run and confirmed it.", Role::dim);
}

// The host key the user confirms: the ED25519 one where offered.
std::optional<std::string> confirm_host_key(Ui &ui, const remote::SshUrl &url) {
  std::vector<remote::HostKey> keys;
  const TaskResult r = run_task(ui, "Connecting", kStep, [&](Task &t) {
    t.set_status("reading the host keys of " + url.host + "...");
    SystemCommandRunner runner;
    keys = remote::scan_host_keys(url, runner);
  });
  if (!r.ok) {
    if (!r.error.empty()) {
      message_box(ui, "Host key", r.error);
    }
    return std::nullopt;
  }
  std::string shown;
  const remote::HostKey *pick = &keys.front();
  for (const auto &k : keys) {
    shown += fmt::format("  {} {}\n", k.type, k.fingerprint);
    if (k.type == "ED25519") {
      pick = &k;
    }
  }
  const bool yes = ask_yes_no(
      ui, "Host key",
      fmt::format("{} port {} offers these host keys:\n{}\nAre they the other host's? Compare on "
                  "its console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub",
                  url.host, url.port, shown));
  if (!yes) {
    return std::nullopt;
  }
  return pick->fingerprint;
}

// Connects to the host of F: the host key confirmed, a password asked
// when no key is named, the plan made. True when the plan was made.
bool connect(Ui &ui, WizardState &s, const RemoteForm &f) {
  remote::SshUrl url;
  try {
    url = remote::parse_ssh_url(f.url);
  } catch (const std::exception &e) {
    message_box(ui, "Address", e.what());
    return false;
  }
  const auto fingerprint = confirm_host_key(ui, url);
  if (!fingerprint) {
    return false;
  }
  flow::RemoteChoice choice{f.url, {*fingerprint, ""}, f.identity, ""};
  if (f.identity.empty()) {
    const auto pw =
        ask_secret(ui, "Password",
                   fmt::format("{}@{}'s password (asked once, never stored):", url.user, url.host));
    if (!pw) {
      return false;
    }
    choice.password = *pw;
  }
  s.remote = std::move(choice);
  s.plan.reset();
  if (!plan_remote(ui, s)) {
    s.remote.reset();
    return false;
  }
  return true;
}

void change_remote_field(Ui &ui, WizardState &s, RemoteForm &f, bool &stopped) {
  if (f.field == 0) {
    stopped = !screen_network(ui, s);
  } else if (f.field == 1) {
    if (auto v = ask_text(ui, "Address", "ssh://[USER@]HOST[:PORT][/DIR] of the other KVM host:",
                          f.url.empty() ? "ssh://root@" : f.url)) {
      f.url = *v;
    }
  } else if (auto v =
                 ask_text(ui, "Login key",
                          "Private key file to log in with (empty: a password):", f.identity)) {
    f.identity = *v;
  }
}

} // namespace

Nav screen_remote_host(Ui &ui, WizardState &s) {
  RemoteForm f;
  if (s.remote) {
    f.url = s.remote->url;
    f.identity = s.remote->identity;
  }
  std::string addresses = nic_addresses(read_nics(ui));
  for (;;) {
    draw_remote(ui, f, addresses);
    ui.refresh();
    const Key k = ui.key();
    if (k == kUp && f.field > 0) {
      --f.field;
    } else if (k == kDown && f.field < 2) {
      ++f.field;
    } else if (k == kEnter) {
      bool stopped = false;
      change_remote_field(ui, s, f, stopped);
      if (stopped) {
        return Nav::stop;
      }
      addresses = nic_addresses(read_nics(ui));
    } else if (k == 'c') {
      if (connect(ui, s, f)) {
        return Nav::next;
      }
    } else if (k == kEsc) {
      return Nav::back;
    } else if (const auto n = common_key(
                   ui, k, "Remote host",
                   "Copies the VMs straight to your other KVM host and defines them there: no "
                   "reinstall. Bring a network port up first (Network), type the host's "
                   "address, then c: its host key is shown for you to compare, a password is "
                   "asked once (or name a private key file), and the host is checked: not this "
                   "machine, libvirt there, room for the copy.")) {
      return *n;
    }
  }
}

bool plan_remote(Ui &ui, WizardState &s) {
  const plan::PlanChoices ch = plan_choices(s);
  flow::RemotePlan rp;
  const TaskResult r = run_task(ui, "Connecting", kStep, [&](Task &t) {
    t.set_status("logging in to " + s.remote->url + " and reading that host...");
    rp = flow::make_remote_plan(*s.source, *s.remote, ch);
  });
  if (!r.ok) {
    if (!r.error.empty()) {
      message_box(ui, "Remote host", "Cannot use that host: " + r.error);
    }
    return false;
  }
  if (!rp.refusals.empty()) {
    message_box(ui, "Remote host refused",
                fmt::format("{} cannot take the VMs:\n- {}", s.remote->url,
                            fmt::join(rp.refusals, "\n- ")));
    return false;
  }
  rp.plan.target.network = s.net;
  rp.plan.restore = s.plan ? s.plan->restore : plan::RestoreChoices{};
  ui.note(fmt::format("plan: {} VM(s) ({}), {} item(s) into {} on {}", rp.plan.vms.size(),
                      fmt::join(rp.plan.vms, ", "), rp.plan.items.size(), rp.plan.layout.images_dir,
                      rp.plan.target.path));
  s.remote_notes = rp.notes;
  s.target = rp.plan.target.path;
  s.confirm_wipe.clear();
  s.plan = std::move(rp.plan);
  return true;
}

} // namespace kvmr::tui
