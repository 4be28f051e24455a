// The network target in the shared flow: a plan for another KVM host
// (where on it the run goes, and why that host is refused if it is), and
// that host opened for the copy (the SSH link, the refusals checked
// again, files in the way refused, its directory mounted with sshfs).
//
// Where the run goes: DIR of the address, else the remote's default pool
// path, else /var/lib/libvirt/images. A file there that this run (its
// plan) did not write is never overwritten: when any of the plan's files
// or its kvm-rescue/ directory is already there, the whole run goes to
// DIR/rescued-<old hostname>/ instead; a rerun of the same work finds its
// own plan there and continues.
#pragma once

#include "rescue/flow/source.hpp"
#include "rescue/plan/plan.hpp"
#include "rescue/remote/remote_facts.hpp"
#include "rescue/remote/remote_target.hpp"
#include "rescue/remote/ssh_link.hpp"

#include <memory>
#include <string>
#include <vector>

namespace kvmr::flow {

struct RemoteChoice {
  std::string url; // ssh://[USER@]HOST[:PORT][/DIR]
  remote::HostKeyCheck host_key;
  std::string identity; // private key file
  // Without an identity: the login's password, used once to open the
  // link and never stored (not in the plan, not in a file).
  std::string password;
};

struct RemotePlan {
  plan::RescuePlan plan;
  remote::RemoteFacts facts;
  std::vector<std::string> refusals; // why the host cannot take it (plain words)
  std::vector<std::string> notes;    // where the run goes and why
};

// Connects, reads the host, picks the directory and builds the plan.
// Throws InputError (a bad address, no host key confirmed) or
// remote::RemoteError (unreachable, host key differs, login refused).
RemotePlan make_remote_plan(const OpenedSource &src, const RemoteChoice &choice,
                            const plan::PlanChoices &choices);

// DIR/rescued-<HOSTNAME> with HOSTNAME made safe for a directory name.
std::string rescued_dir(const std::string &dir, const std::string &old_hostname);

// The plan's files as paths relative to its root, and kvm-rescue/ itself.
std::vector<std::string> plan_files(const plan::RescuePlan &p);

struct OpenedRemote {
  std::unique_ptr<remote::SshLink> link;
  std::unique_ptr<remote::RemoteTarget> target;
  bool resumed = false;
  std::vector<std::string> notes;
};

// The SSH link to P's target host, checked against the plan's host key,
// logging in with its identity or, without one, PASSWORD. Throws as
// SshLink's constructor does.
std::unique_ptr<remote::SshLink> link_to(const plan::RescuePlan &p,
                                         const std::string &password = {});

// Opens P's remote target for the copy, logging in with the plan's
// identity or, without one, PASSWORD: throws Refused (see copy_flow.hpp)
// naming every reason the host is refused now, or the files in the way.
OpenedRemote open_remote(const plan::RescuePlan &p, const std::string &password = {});

} // namespace kvmr::flow
