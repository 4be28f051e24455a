// One SSH connection to the network target, reused for the whole run: an
// OpenSSH ControlMaster (`ssh -M`) in a private directory of this run
// (its own ssh_config, known_hosts and control socket; ~/.ssh and
// /etc/ssh/ssh_config are never read or written), through which every
// remote command and the sshfs mount travel.
//
// The host key is never taken on trust: it is either found in a
// known_hosts file the user names, or scanned (ssh-keyscan) and accepted
// only when its SHA-256 fingerprint is the one the user confirmed; the
// connection then checks it strictly. Authentication is by key (an
// identity file), or by password: then only the control master
// authenticates, once (NumberOfPasswordPrompts 1), the password handed
// over by an askpass program in this process's memory (askpass.hpp),
// never on a command line or in a file. Every command after it, and
// sshfs, go through the master in batch mode: nothing is typed into ssh.
// A login user other than root must be allowed `sudo -n` (checked when
// the link opens).
#pragma once

#include "rescue/remote/ssh_url.hpp"
#include "rescue/util/command.hpp"
#include "rescue/util/error.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace kvmr::remote {

// The remote could not be reached or refused us (ssh's own words).
class RemoteError : public InputError {
public:
  using InputError::InputError;
};

struct HostKeyCheck {
  std::string fingerprint; // "SHA256:..." as `ssh-keygen -l` prints it, confirmed by the user
  std::string known_hosts; // a known_hosts file that names the host
};

struct HostKey {
  std::string type;        // "ED25519", "RSA", ...
  std::string fingerprint; // "SHA256:..."
  std::string line;        // the known_hosts line ssh-keyscan printed
};

// The host keys the remote offers (ssh-keyscan, bounded in time), with
// their fingerprints. Throws RemoteError when none can be read.
std::vector<HostKey> scan_host_keys(const SshUrl &url, CommandRunner &runner);

// "SHA256:...": the form a fingerprint must have. Throws InputError otherwise.
void check_fingerprint_form(const std::string &fingerprint);

struct RemoteRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class SshLink {
public:
  // Checks the host key (CHECK), connects with the private key IDENTITY
  // or, without one, with PASSWORD, and starts the control master; a
  // user other than root must then run `sudo -n true`. RUN_DIR holds the
  // private directory. Throws RemoteError (unreachable, key or password
  // refused, host key differs, no passwordless sudo) or InputError
  // (neither key nor password; no way to check the host key: the
  // message lists the fingerprints the remote offers).
  SshLink(SshUrl url, const HostKeyCheck &check, const std::string &identity,
          const std::string &run_dir, const std::string &password = {});
  SshLink(const SshLink &) = delete;
  SshLink &operator=(const SshLink &) = delete;
  SshLink(SshLink &&) = delete;
  SshLink &operator=(SshLink &&) = delete;
  // Ends the control master and removes the private directory.
  ~SshLink();

  [[nodiscard]] const SshUrl &url() const { return url_; }
  // The fingerprint of the host key the connection was checked against.
  [[nodiscard]] const std::string &fingerprint() const { return fingerprint_; }
  // Runs SCRIPT with sh on the remote as root (through `sudo -n` for
  // another user), with ARGS as $1..., LC_ALL=C. Throws RemoteError when
  // the connection fails (ssh's exit 255) or TIMEOUT passes.
  RemoteRun run(const std::string &script, const std::vector<std::string> &args,
                std::chrono::seconds timeout = std::chrono::seconds(60));
  // run(), and RemoteError naming WHAT unless it exits 0.
  std::string run_checked(const std::string &what, const std::string &script,
                          const std::vector<std::string> &args,
                          std::chrono::seconds timeout = std::chrono::seconds(60));
  // The ssh command (and its config) that reaches the remote through the
  // master, for sshfs's ssh_command; and the host alias to name.
  [[nodiscard]] std::string ssh_command() const;
  [[nodiscard]] static std::string alias() { return "kvmr-remote"; }
  // The run's private directory (0700), for logs of what uses the link.
  [[nodiscard]] const std::string &private_dir() const { return dir_; }
  // "root@host:port" for messages.
  [[nodiscard]] std::string shown() const;
  // The remote command line that runs SCRIPT as root (for tests and logs).
  [[nodiscard]] std::string remote_command(const std::string &script,
                                           const std::vector<std::string> &args) const;

private:
  void write_config(const std::string &known_hosts, const std::string &identity);
  void pin_host_key(const HostKeyCheck &check);
  void start_master(const std::string &password);
  void check_sudo();
  void stop_master() noexcept;

  SshUrl url_;
  std::string dir_;
  std::string fingerprint_;
  SystemCommandRunner runner_;
  bool master_ = false;
};

} // namespace kvmr::remote
