// The network target in the shared flow (see remote_flow.hpp).
#include "rescue/flow/remote_flow.hpp"

#include "rescue/flow/copy_flow.hpp"
#include "rescue/plan/plan_build.hpp"
#include "rescue/plan/plan_json.hpp"
#include "rescue/plan/plan_source.hpp"
#include "rescue/remote/ssh_url.hpp"
#include "rescue/run/execute.hpp"
#include "rescue/target/target.hpp"
#include "rescue/volume/registry.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace kvmr::flow {
namespace {

std::optional<plan::RescuePlan> remote_plan_at(remote::SshLink &link, const std::string &root) {
  const std::string text = remote::read_remote_file(link, run::plan_file(root));
  if (text.empty()) {
    return std::nullopt;
  }
  try {
    return plan::plan_from_json(nlohmann::json::parse(text));
  } catch (const std::exception &) {
    return std::nullopt; // not ours to continue: it is in the way
  }
}

std::vector<std::string> source_uuids(const plan::RescuePlan &p) {
  std::vector<std::string> out;
  for (const auto &s : p.sources) {
    out.insert(out.end(), s.fs_uuids.begin(), s.fs_uuids.end());
  }
  return out;
}

target::TargetInfo remote_target_info(const std::string &url, const remote::RemoteFacts &f) {
  target::TargetInfo t;
  t.kind = target::Kind::directory;
  t.path = url;
  t.capacity = f.dir_free;
  t.fs_uuid = f.dir_fs_uuid;
  t.fs_type = f.dir_fs_type;
  return t;
}

plan::RescuePlan build_remote(const OpenedSource &src, const RemoteChoice &choice,
                              const remote::RemoteFacts &facts, plan::PlanChoices choices,
                              const std::string &root) {
  choices.layout.images_dir = root;
  choices.host_files = plan::list_host_files(src.host->tree());
  plan::RescuePlan p =
      plan::build_plan(src.inventory, src.disks, remote_target_info(choice.url, facts), choices);
  plan::stat_payload(p, src.host->tree());
  p.target.kind = plan::TargetKind::remote;
  p.target.oemdrv = false;
  p.target.host_key = choice.host_key.fingerprint;
  p.target.known_hosts = choice.host_key.known_hosts;
  p.target.identity = choice.identity;
  // No kickstart is made for another host: the old logins stay on the old disk.
  p.kickstart.old_logins = {};
  return p;
}

// The plan's files already on the remote that it did not write; empty
// also when the remote holds this same work (a rerun continues it).
std::vector<std::string> in_the_way(remote::SshLink &link, const plan::RescuePlan &p) {
  if (const auto stored = remote_plan_at(link, p.layout.images_dir);
      stored && same_work(*stored, p)) {
    return {};
  }
  return remote::existing_on_remote(link, p.layout.images_dir, plan_files(p));
}

std::string some_of(const std::vector<std::string> &names) {
  constexpr std::size_t kShown = 5;
  const std::size_t n = std::min(names.size(), kShown);
  std::string s =
      fmt::format("{}", fmt::join(names.begin(), names.begin() + static_cast<long>(n), ", "));
  return names.size() > n ? fmt::format("{} and {} more", s, names.size() - n) : s;
}

} // namespace

std::string rescued_dir(const std::string &dir, const std::string &old_hostname) {
  std::string name;
  for (const char c : old_hostname) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    name += ok ? c : '_';
  }
  if (name.empty() || name.front() == '.') {
    name = "host" + name;
  }
  return (dir == "/" ? std::string() : dir) + "/rescued-" + name;
}

std::vector<std::string> plan_files(const plan::RescuePlan &p) {
  std::vector<std::string> out{p.layout.state_dir};
  for (const auto &i : p.items) {
    if (!i.dest.starts_with(p.layout.state_dir + "/")) {
      out.push_back(i.dest);
    }
  }
  return out;
}

RemotePlan make_remote_plan(const OpenedSource &src, const RemoteChoice &choice,
                            const plan::PlanChoices &choices) {
  const remote::SshUrl url = remote::parse_ssh_url(choice.url);
  remote::SshLink link(url, choice.host_key, choice.identity, volume::kRunDir, choice.password);
  RemotePlan out;
  out.facts = remote::read_remote_facts(link, url.dir);
  const std::string base = out.facts.dir; // the address's DIR, else the default pool's
  out.plan = build_remote(src, choice, out.facts, choices, base);
  if (const auto here = in_the_way(link, out.plan); !here.empty()) {
    const std::string other = rescued_dir(base, out.plan.old_hostname);
    out.notes.push_back(fmt::format("{} on {} already holds {}: the whole run goes to {}", base,
                                    link.shown(), some_of(here), other));
    out.plan = build_remote(src, choice, out.facts, choices, other);
    if (const auto there = in_the_way(link, out.plan); !there.empty()) {
      out.refusals.push_back(fmt::format(
          "{} on {} also holds files this run did not write ({}): move them away, or name "
          "another directory in the address (ssh://HOST/DIR)",
          other, link.shown(), some_of(there)));
    }
  }
  auto why = remote::remote_refusals(out.facts, link.shown(), remote::local_machine_id(),
                                     source_uuids(out.plan), 0);
  out.refusals.insert(out.refusals.end(), why.begin(), why.end());
  return out;
}

std::unique_ptr<remote::SshLink> link_to(const plan::RescuePlan &p, const std::string &password) {
  return std::make_unique<remote::SshLink>(
      remote::parse_ssh_url(p.target.path),
      remote::HostKeyCheck{p.target.host_key, p.target.known_hosts}, p.target.identity,
      volume::kRunDir, password);
}

OpenedRemote open_remote(const plan::RescuePlan &p, const std::string &password) {
  OpenedRemote out;
  out.link = link_to(p, password);
  const std::string &root = p.layout.images_dir;
  const auto facts = remote::read_remote_facts(*out.link, root);
  const auto stored = remote_plan_at(*out.link, root);
  out.resumed = stored && stored->created == p.created;
  auto why = remote::remote_refusals(facts, out.link->shown(), remote::local_machine_id(),
                                     source_uuids(p), out.resumed ? 0 : p.bytes_needed);
  if (!out.resumed) {
    if (const auto here = remote::existing_on_remote(*out.link, root, plan_files(p));
        !here.empty()) {
      why.push_back(fmt::format("{} already holds files this plan did not write ({}); make the "
                                "plan again: it then picks {}",
                                root, some_of(here), rescued_dir(root, p.old_hostname)));
    }
  }
  if (!why.empty()) {
    throw Refused(fmt::format("target {} refused: {}", p.target.path, fmt::join(why, "; ")));
  }
  out.target = std::make_unique<remote::RemoteTarget>(*out.link, root, volume::kRunDir);
  if (out.resumed) {
    out.notes.push_back(fmt::format("{} on {} already holds this plan's copy: continuing", root,
                                    out.link->shown()));
  }
  return out;
}

} // namespace kvmr::flow
