// The front-end of the copy run (see copy_run.hpp).
#include "rescue/cli/copy_run.hpp"

#include "rescue/cli/exit_codes.hpp"
#include "rescue/cli/progress_bar.hpp"
#include "rescue/copy/hash.hpp"
#include "rescue/flow/copy_flow.hpp"
#include "rescue/flow/remote_restore.hpp"

#include <fmt/format.h>

#include <csignal>
#include <iostream>

namespace kvmr::cli {
namespace {

copy::HashKind hash_of(const std::string &name) {
  if (name == "xxh3" || name == "xxh3-128") {
    return copy::HashKind::xxh3_128;
  }
  if (name == "sha256") {
    return copy::HashKind::sha256;
  }
  throw flow::Refused(fmt::format("--hash {}: use xxh3 or sha256", name));
}

// What the restore said on the network target; with --json it goes to
// stderr, so stdout stays one JSON document.
void print_remote_restore(const plan::RescuePlan &p, const CopyFlags &flags,
                          const flow::CopyOutcome &out) {
  std::ostream &os = flags.json ? std::cerr : std::cout;
  os << fmt::format("\n{} on {} {}:\n", flags.restore ? "The restore" : "The restore's dry run",
                    p.target.path, out.restore_exit == 0 ? "says" : "failed");
  os << out.restore_output;
  if (!flags.restore && out.restore_exit == 0) {
    os << "\nNothing was defined there yet: run the same copy command again with --restore "
          "(it copies nothing twice) to define the VMs there, and --start to start those "
          "marked autostart.\n";
  }
}

} // namespace

int copy_plan(const plan::RescuePlan &p, const std::vector<disk::Disk> &sources,
              access::OldHost &host, const CopyFlags &flags, CancelWatch &watch) {
  flow::CopyRequest req;
  req.confirm_wipe = flags.confirm_wipe;
  req.hash = hash_of(flags.hash);
  req.retries = flags.retries;
  req.max_rate = flags.max_rate;
  req.plan_file = flags.plan_file;
  req.cancel = &watch.flag();
  req.checkpoint = [&watch] { watch.check(); };
  req.restore = flags.restore;
  req.ssh_password = flags.ssh_password;
  plan::RestoreChoices restore{flags.start, flags.allow_emulation, {}};
  for (const auto &[from, to] : flags.rename) {
    restore.renames.push_back({from, to});
  }
  req.restore_options = flow::restore_options(restore); // the wizard's words too

  ProgressView view(p.items.size(), flow::bytes_to_copy(p), ProgressView::stderr_options());
  flow::CopyHooks hooks;
  hooks.progress = &view;
  hooks.note = [&view](const std::string &s) {
    view.finish(); // the bar line, if any, makes way
    std::cerr << s << '\n';
  };
  hooks.item_begin = [&view](const plan::PlanItem &item, const std::string &dest_path) {
    view.begin_item(dest_path, item.allocated != 0 ? item.allocated : item.size);
  };
  hooks.item_end = [&view](const plan::PlanItem &item, const run::ManifestItem &m) {
    if (m.status == run::ItemStatus::pending) {
      return;
    }
    ItemDone d;
    d.name = item.dest;
    d.bytes = m.data_bytes;
    d.seconds = m.copy_seconds + m.verify_seconds;
    d.verified = m.verified;
    for (const auto &r : m.bad_ranges) {
      d.bad_bytes += r.length;
    }
    d.note = m.status == run::ItemStatus::failed ? "FAILED: " + m.error
             : m.resumed                         ? "resumed"
                                                 : "";
    view.end_item(d);
  };
  const flow::CopyOutcome out = flow::run_copy(p, sources, host, req, hooks);
  view.finish();
  std::cout << (flags.json ? out.report_json : out.report_text);
  if (out.restore_exit >= 0) {
    print_remote_restore(p, flags, out);
  }
  if (out.restore_exit > 0 && out.exit_code == kExitOk) {
    return kExitPartial; // copied, but the restore there stopped or refused something
  }
  if (out.cancelled) {
    return 128 + (watch.signal() != 0 ? watch.signal() : SIGINT);
  }
  return out.exit_code;
}

} // namespace kvmr::cli
