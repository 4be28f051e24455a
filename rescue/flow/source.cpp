// The old host opened and the plan made (see source.hpp).
#include "rescue/flow/source.hpp"

#include "rescue/disk/probe.hpp"
#include "rescue/plan/plan_source.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/command.hpp"

namespace kvmr::flow {
namespace {

void call(const std::function<void()> &checkpoint) {
  if (checkpoint) {
    checkpoint();
  }
}

} // namespace

OpenedSource open_source(const std::vector<std::string> &paths, const std::string &backend,
                         const std::function<void()> &checkpoint) {
  OpenedSource out;
  SystemCommandRunner runner;
  disk::ProbeOptions po;
  po.smart = false;
  out.disks = disk::probe_disks(paths, runner, po);
  call(checkpoint);
  access::AccessOptions opts;
  opts.backend = access::parse_backend(backend);
  out.host = access::OldHost::open(paths, opts);
  call(checkpoint);
  std::vector<scan::LvFact> facts;
  for (const auto &l : out.host->lvs()) {
    facts.push_back({l.name, l.size, l.readable, l.access, l.problems});
  }
  out.inventory = scan::build_inventory(out.host->tree(), facts);
  call(checkpoint);
  return out;
}

plan::RescuePlan make_plan(const OpenedSource &src, const std::string &target,
                           plan::PlanChoices choices) {
  const target::TargetInfo tinfo = target::inspect_target(target);
  choices.host_files = plan::list_host_files(src.host->tree());
  plan::RescuePlan p = plan::build_plan(src.inventory, src.disks, tinfo, choices);
  plan::stat_payload(p, src.host->tree());
  return p;
}

} // namespace kvmr::flow
