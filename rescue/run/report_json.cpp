// report.json (see report_json.hpp).
#include "rescue/run/report_json.hpp"

namespace kvmr::run {
namespace {

nlohmann::json qcow2_json(const scan::Qcow2Hit &h) {
  nlohmann::json areas = nlohmann::json::array();
  for (const auto a : h.areas) {
    areas.push_back(scan::to_string(a));
  }
  nlohmann::json guest = nlohmann::json::array();
  for (const auto &g : h.guest_ranges) {
    guest.push_back({g.offset, g.length});
  }
  return {{"area", scan::to_string(h.area)},
          {"areas", areas},
          {"guest_ranges", guest},
          {"detail", h.detail}};
}

} // namespace

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
    nlohmann::json j = {{"vm", d.vm},        {"guest_disk", d.guest_disk}, {"source", d.source},
                        {"dest", d.dest},    {"format", d.format},         {"offset", d.offset},
                        {"length", d.length}};
    if (d.qcow2) {
      j["qcow2"] = qcow2_json(*d.qcow2);
    }
    damaged.push_back(std::move(j));
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
          {"target_failure", r.info.target_failure},
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
