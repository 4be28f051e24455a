// report.json (see report_json.hpp).
#include "rescue/run/report_json.hpp"

namespace kvmr::run {

nlohmann::json to_json(const RunReport &r) {
  using nlohmann::json;
  json vms = json::array();
  for (const auto &v : r.vms) {
    vms.push_back({{"name", v.name},
                   {"status", v.status},
                   {"reasons", v.reasons},
                   {"items", v.items},
                   {"bytes", v.bytes},
                   {"bad_bytes", v.bad_bytes}});
  }
  json damaged = json::array();
  for (const auto &d : r.damaged) {
    damaged.push_back({{"vm", d.vm},
                       {"source", d.source},
                       {"dest", d.dest},
                       {"offset", d.offset},
                       {"length", d.length}});
  }
  const Totals &t = r.totals;
  return {{"schema_version", 1},
          {"kind", kReportKind},
          {"sources", r.sources},
          {"target", {{"path", r.info.target}, {"root", r.info.target_root}}},
          {"plan", r.info.plan_path},
          {"backend", r.info.backend},
          {"started", r.info.started},
          {"finished", r.info.finished},
          {"seconds", r.info.seconds},
          {"cancelled", r.info.cancelled},
          {"exit_code", r.exit_code()},
          {"vms", vms},
          {"damaged", damaged},
          {"errors", r.errors},
          {"warnings", r.info.warnings},
          {"totals",
           {{"items", t.items},
            {"copied", t.copied},
            {"reused", t.reused},
            {"resumed", t.resumed},
            {"failed", t.failed},
            {"pending", t.pending},
            {"bytes", t.bytes},
            {"data_bytes", t.data_bytes},
            {"bytes_read", t.bytes_read},
            {"allocated_bytes", t.allocated_bytes},
            {"bad_bytes", t.bad_bytes},
            {"copy_seconds", t.copy_seconds},
            {"verify_seconds", t.verify_seconds},
            {"copy_rate", t.copy_rate}}},
          {"next_steps", r.next_steps}};
}

} // namespace kvmr::run
