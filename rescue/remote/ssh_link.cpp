// The network target's SSH connection (see ssh_link.hpp).
#include "rescue/remote/ssh_link.hpp"

#include "kickstart/shell_quote.hpp"
#include "rescue/remote/askpass.hpp"
#include "rescue/volume/mount.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kvmr::remote {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr seconds kScanTimeout{30};
constexpr seconds kConnectTimeout{60};
constexpr int kSshFailed = 255; // ssh's own exit code for a failed connection

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() != '#') {
      out.push_back(line);
    }
  }
  return out;
}

void write_private(const std::string &path, const std::string &content) {
  std::ofstream f(path, std::ios::trunc);
  f << content;
  f.close();
  if (!f) {
    throw SysError(path, "write", errno);
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    throw SysError(path, "chmod 0600", errno);
  }
}

// A value ssh_config takes in double quotes: no quote, no newline.
std::string config_value(const std::string &what, const std::string &v) {
  if (v.find_first_of("\"\n\r") != std::string::npos) {
    throw InputError(
        fmt::format("{} \"{}\" holds a quote or a newline, which ssh cannot take", what, v));
  }
  return "\"" + v + "\"";
}

std::string last_words(const std::string &err) {
  const auto lines = lines_of(err);
  return lines.empty() ? std::string("no message") : lines.back();
}

// "256 SHA256:abc [host]:22 (ED25519)" -> {fingerprint, type}.
std::pair<std::string, std::string> parse_keygen_line(const std::string &line) {
  std::istringstream in(line);
  std::string bits;
  std::string fp;
  in >> bits >> fp;
  std::string type;
  const auto open = line.rfind('(');
  const auto close = line.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    type = line.substr(open + 1, close - open - 1);
  }
  return {fp, type};
}

} // namespace

void check_fingerprint_form(const std::string &fingerprint) {
  constexpr std::string_view prefix = "SHA256:";
  const bool ok = fingerprint.starts_with(prefix) && fingerprint.size() == prefix.size() + 43 &&
                  std::all_of(fingerprint.begin() + prefix.size(), fingerprint.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
                  });
  if (!ok) {
    throw InputError(fmt::format("host key fingerprint \"{}\" is not of the form SHA256:... "
                                 "(43 characters after the colon, as `ssh-keygen -lf "
                                 "/etc/ssh/ssh_host_ed25519_key.pub` prints it)",
                                 fingerprint));
  }
}

std::vector<HostKey> scan_host_keys(const SshUrl &url, CommandRunner &runner) {
  const CommandResult scan =
      runner.run({"ssh-keyscan", "-T", "10", "-p", std::to_string(url.port), "--", url.host},
                 milliseconds(kScanTimeout));
  std::vector<HostKey> keys;
  for (const auto &line : lines_of(scan.out)) {
    keys.push_back({"", "", line});
  }
  if (keys.empty()) {
    throw RemoteError(fmt::format(
        "no host key from {}:{} ({}): is sshd running there, and is "
        "the address right?",
        url.host, url.port, scan.not_found ? "ssh-keyscan is missing" : last_words(scan.err)));
  }
  char tmpl[] = "/tmp/kvmr-hostkeys-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd < 0) {
    throw SysError(tmpl, "create", errno);
  }
  ::close(fd);
  const std::string file = tmpl;
  std::string all;
  for (const auto &k : keys) {
    all += k.line + "\n";
  }
  CommandResult fps;
  try {
    write_private(file, all);
    fps = runner.run({"ssh-keygen", "-l", "-f", file}, milliseconds(kScanTimeout));
  } catch (...) {
    ::unlink(file.c_str());
    throw;
  }
  ::unlink(file.c_str());
  const auto printed = lines_of(fps.out);
  if (fps.exit_code != 0 || printed.size() != keys.size()) {
    throw RemoteError(fmt::format("ssh-keygen could not read the host keys of {}: {}", url.host,
                                  last_words(fps.err)));
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::tie(keys[i].fingerprint, keys[i].type) = parse_keygen_line(printed[i]);
  }
  return keys;
}

SshLink::SshLink(SshUrl url, const HostKeyCheck &check, const std::string &identity,
                 const std::string &run_dir, const std::string &password)
    : url_(std::move(url)) {
  if (!identity.empty() && ::access(identity.c_str(), R_OK) != 0) {
    throw SysError(identity, "read the identity (private key) file", errno);
  }
  std::filesystem::create_directories(run_dir);
  volume::TempDir dir(run_dir, "ssh-");
  dir_ = dir.path();
  dir.release(); // removed with its files by the destructor
  try {
    ::chmod(dir_.c_str(), 0700);
    pin_host_key(check); // first: a host key not yet confirmed is shown even without a login
    if (identity.empty() && password.empty()) {
      throw InputError(fmt::format("{}: an identity (private key) file or {}'s password is "
                                   "needed: --identity FILE, or --password-stdin or a terminal",
                                   to_string(url_), url_.user));
    }
    write_config(check.known_hosts.empty() ? dir_ + "/known_hosts" : check.known_hosts, identity);
    start_master(identity.empty() ? password : std::string());
    check_sudo();
  } catch (...) {
    stop_master();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

SshLink::~SshLink() {
  stop_master();
  // The master may still be going away (its socket) while the directory
  // is emptied: try again a few times.
  std::error_code ec;
  for (int attempt = 0; attempt < 5 && std::filesystem::exists(dir_, ec); ++attempt) {
    std::filesystem::remove_all(dir_, ec);
    if (std::filesystem::exists(dir_, ec)) {
      ::usleep(100000);
    }
  }
}

void SshLink::pin_host_key(const HostKeyCheck &check) {
  if (!check.known_hosts.empty()) {
    if (::access(check.known_hosts.c_str(), R_OK) != 0) {
      throw SysError(check.known_hosts, "read the known_hosts file", errno);
    }
    fingerprint_ = "as in " + check.known_hosts;
    return;
  }
  const auto keys = scan_host_keys(url_, runner_);
  std::vector<std::string> offered;
  std::string pinned;
  for (const auto &k : keys) {
    offered.push_back(fmt::format("{} ({})", k.fingerprint, k.type));
    if (!check.fingerprint.empty() && k.fingerprint == check.fingerprint) {
      pinned += k.line + "\n";
    }
  }
  if (check.fingerprint.empty()) {
    throw InputError(fmt::format(
        "{} offers the host key {}; check it on that host's console (ssh-keygen -lf "
        "/etc/ssh/ssh_host_ed25519_key.pub) and pass it as --host-key, or name a known_hosts "
        "file with --known-hosts",
        shown(), fmt::join(offered, " or ")));
  }
  check_fingerprint_form(check.fingerprint);
  if (pinned.empty()) {
    throw RemoteError(fmt::format(
        "the host key of {} is {}, not {} as confirmed: the host key changed, or this is "
        "another machine; nothing was sent",
        shown(), fmt::join(offered, " or "), check.fingerprint));
  }
  fingerprint_ = check.fingerprint;
  write_private(dir_ + "/known_hosts", pinned);
}

void SshLink::write_config(const std::string &known_hosts, const std::string &identity) {
  // Without an identity no key is offered (nor ~/.ssh's): the password
  // is the master's only way in.
  const std::string key = identity.empty() ? std::string("  PubkeyAuthentication no\n")
                                           : fmt::format("  IdentityFile {}\n",
                                                         config_value("identity file", identity));
  const std::string text = fmt::format("# kvm-rescue's private ssh_config for {}\n"
                                       "Host {}\n"
                                       "  HostName {}\n"
                                       "  Port {}\n"
                                       "  User {}\n"
                                       "  UserKnownHostsFile {}\n"
                                       "  GlobalKnownHostsFile /dev/null\n"
                                       "  StrictHostKeyChecking yes\n"
                                       "  UpdateHostKeys no\n"
                                       "  CheckHostIP no\n"
                                       "{}"
                                       "  IdentitiesOnly yes\n"
                                       "  IdentityAgent none\n"
                                       "  BatchMode yes\n"
                                       "  PasswordAuthentication no\n"
                                       "  KbdInteractiveAuthentication no\n"
                                       "  ControlPath {}/cm\n"
                                       "  ControlMaster no\n"
                                       "  ControlPersist 600\n"
                                       "  ConnectTimeout 15\n"
                                       "  ServerAliveInterval 10\n"
                                       "  ServerAliveCountMax 3\n"
                                       "  ForwardAgent no\n"
                                       "  ForwardX11 no\n"
                                       "  ClearAllForwardings yes\n"
                                       "  LogLevel ERROR\n",
                                       shown(), alias(), url_.host, url_.port, url_.user,
                                       config_value("known_hosts file", known_hosts), key, dir_);
  write_private(dir_ + "/config", text);
}

namespace {

// The master's command line: by key as the config says, or by PASSWORD
// (ASKPASS prints it) in one attempt. Later commands keep BatchMode.
std::vector<std::string> master_argv(const std::string &config, const std::string &alias,
                                     const AskpassProgram *askpass) {
  std::vector<std::string> argv;
  if (askpass != nullptr) {
    argv = {"env", "SSH_ASKPASS=" + askpass->path(), "SSH_ASKPASS_REQUIRE=force"};
  }
  argv.insert(argv.end(), {"ssh", "-F", config, "-o", "ControlMaster=yes"});
  if (askpass != nullptr) {
    argv.insert(argv.end(), {"-o", "BatchMode=no", "-o", "PasswordAuthentication=yes", "-o",
                             "KbdInteractiveAuthentication=yes", "-o",
                             "PreferredAuthentications=password,keyboard-interactive", "-o",
                             "NumberOfPasswordPrompts=1"});
  }
  argv.insert(argv.end(), {"-n", alias, "true"});
  return argv;
}

} // namespace

void SshLink::start_master(const std::string &password) {
  CommandResult r;
  {
    // The password lives only while the master authenticates.
    std::unique_ptr<AskpassProgram> askpass;
    if (!password.empty()) {
      askpass = std::make_unique<AskpassProgram>(password);
    }
    r = runner_.run(master_argv(dir_ + "/config", alias(), askpass.get()),
                    milliseconds(kConnectTimeout));
  }
  if (r.exit_code == 0) {
    master_ = true;
    return;
  }
  if (!password.empty() && r.exit_code == kSshFailed &&
      r.err.find("Permission denied") != std::string::npos) {
    throw RemoteError(fmt::format("{} refused the password", shown()));
  }
  throw RemoteError(fmt::format("cannot log in to {}: {}", shown(),
                                r.not_found ? "ssh is missing" : last_words(r.err)));
}

void SshLink::check_sudo() {
  if (url_.user == "root") {
    return;
  }
  const CommandResult r =
      runner_.run({"ssh", "-F", dir_ + "/config", "-n", alias(), "--", "sudo -n true"},
                  milliseconds(kConnectTimeout));
  if (r.exit_code == kSshFailed || r.exit_code < 0) {
    throw RemoteError(fmt::format("lost the connection to {}: {}", shown(), last_words(r.err)));
  }
  if (r.exit_code != 0) {
    throw RemoteError(fmt::format(
        "{} on {} cannot run sudo without a password: {}; log in as root, or allow that user "
        "passwordless sudo there (a line \"{} ALL=(ALL) NOPASSWD: ALL\" in /etc/sudoers.d/)",
        url_.user, host_for_ssh(url_), last_words(r.err), url_.user));
  }
}

void SshLink::stop_master() noexcept {
  if (!master_) {
    return;
  }
  master_ = false;
  try {
    runner_.run({"ssh", "-F", dir_ + "/config", "-O", "exit", alias()}, milliseconds(seconds(10)));
  } catch (...) { // NOLINT(bugprone-empty-catch): ControlPersist ends it in the end
  }
}

std::string SshLink::shown() const {
  return fmt::format("{}@{}:{}", url_.user, host_for_ssh(url_), url_.port);
}

std::string SshLink::ssh_command() const {
  return "ssh -F " + dir_ + "/config";
}

std::string SshLink::remote_command(const std::string &script,
                                    const std::vector<std::string> &args) const {
  std::string cmd = url_.user == "root" ? "" : "sudo -n ";
  cmd += "env LC_ALL=C sh -c " + kickstart::shell_quote(script) + " kvm-rescue";
  for (const auto &a : args) {
    cmd += " " + kickstart::shell_quote(a);
  }
  return cmd;
}

RemoteRun SshLink::run(const std::string &script, const std::vector<std::string> &args,
                       std::chrono::seconds timeout) {
  const CommandResult r = runner_.run(
      {"ssh", "-F", dir_ + "/config", "-n", alias(), "--", remote_command(script, args)},
      milliseconds(timeout));
  if (r.timed_out) {
    throw RemoteError(
        fmt::format("{}: a remote command did not finish within {} s", shown(), timeout.count()));
  }
  if (r.exit_code == kSshFailed || r.exit_code < 0) {
    throw RemoteError(fmt::format("lost the connection to {}: {}", shown(), last_words(r.err)));
  }
  return {r.exit_code, r.out, r.err};
}

std::string SshLink::run_checked(const std::string &what, const std::string &script,
                                 const std::vector<std::string> &args,
                                 std::chrono::seconds timeout) {
  RemoteRun r = run(script, args, timeout);
  if (r.exit_code != 0) {
    throw RemoteError(fmt::format("{} on {} failed (exit {}): {}", what, shown(), r.exit_code,
                                  last_words(r.err)));
  }
  return std::move(r.out);
}

} // namespace kvmr::remote
