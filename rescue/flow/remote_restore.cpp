// The restore on the network target (see remote_restore.hpp).
#include "rescue/flow/remote_restore.hpp"

#include "rescue/flow/remote_flow.hpp"
#include "rescue/flow/restore_on_disk.hpp"

#include <algorithm>
#include <chrono>

namespace kvmr::flow {

std::vector<std::string> restore_options(const plan::RestoreChoices &c) {
  std::vector<std::string> out;
  if (c.start) {
    out.emplace_back("--start");
  }
  if (c.allow_emulation) {
    out.emplace_back("--allow-emulation");
  }
  for (const auto &r : c.renames) {
    out.emplace_back("--rename");
    out.push_back(r.from);
    out.push_back(r.to);
  }
  return out;
}

RestoreOutcome run_restore_over(const plan::RescuePlan &p, remote::SshLink &link,
                                const RestoreRequest &req) {
  constexpr std::chrono::seconds kRestoreTimeout{1800};
  // A real run logs to its file; its report (refusals, each VM's state
  // there) is what the user is shown.
  constexpr const char *kRun = R"SH(
report=$1
shift
env "$@" 2>&1
rc=$?
if [ -n "$report" ] && [ -f "$report" ]; then cat -- "$report"; fi
exit $rc
)SH";
  // Defined for real only over a complete copy: a VM whose disk failed to
  // copy is not defined over a missing or partial file.
  const bool real = req.real && req.copy_complete;
  const std::string state = p.layout.images_dir + "/" + p.layout.state_dir;
  std::vector<std::string> args{
      real ? state + "/restore-report.txt" : "", "KVMR_RESTORE_DONE=" + state + "/restore.done",
      "KVMR_RESTORE_LOG=" + state + "/restore.log", "KVMR_RESTORE_XML=" + state + "/restore-xml",
      restore_script_on_host(p)};
  if (!real) {
    args.emplace_back("--dry-run");
  }
  args.insert(args.end(), req.options.begin(), req.options.end());
  RestoreOutcome out;
  if (req.real && !req.copy_complete) {
    out.output = "(not restored: some items were not copied; only the dry run ran)\n";
  }
  try {
    const remote::RemoteRun r = link.run(kRun, args, kRestoreTimeout);
    out.output += r.out;
    out.exit_code = req.real && !req.copy_complete ? std::max(r.exit_code, 1) : r.exit_code;
  } catch (const remote::RemoteError &e) {
    out.output += std::string("could not run it: ") + e.what() + "\n";
    out.exit_code = 255;
  }
  return out;
}

RestoreOutcome restore_on_remote(const plan::RescuePlan &p, const RestoreRequest &req,
                                 const std::string &password) {
  const auto link = link_to(p, password);
  return run_restore_over(p, *link, req);
}

} // namespace kvmr::flow
