// The run report: VM outcomes, totals, damaged ranges, exit codes, JSON
// and text.
#include "rescue/run/report.hpp"
#include "rescue/run/report_json.hpp"
#include "rescue/run/report_text.hpp"
#include "unit/run/run_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kvmr;
using namespace kvmr::test;

namespace {

const run::VmOutcome &vm(const run::RunReport &r, const std::string &name) {
  const auto it = std::find_if(r.vms.begin(), r.vms.end(),
                               [&](const run::VmOutcome &v) { return v.name == name; });
  REQUIRE(it != r.vms.end());
  return *it;
}

run::RunInfo info() {
  run::RunInfo i;
  i.target = "/tmp/new.img";
  i.target_root = "/run/kvm-rescue/target.x";
  i.plan_path = "/root/plan.json";
  i.started = "2026-11-29T05:10:00Z";
  i.finished = "2026-11-29T05:11:00Z";
  i.seconds = 60;
  return i;
}

} // namespace

TEST_CASE("report: all copied: exit 0, skipped VM listed with its reason") {
  const auto p = sample_plan();
  const auto r = run::summarize(p, copied_manifest(p), info());
  CHECK(r.exit_code() == 0);
  CHECK(vm(r, "web01").status == "copied");
  CHECK(vm(r, "web01").items == 3);
  CHECK(vm(r, "db01").status == "copied");
  CHECK(vm(r, "old01").status == "skipped");
  CHECK(vm(r, "old01").reasons.at(0).find("missing") != std::string::npos);
  CHECK(r.totals.items == p.items.size());
  CHECK(r.totals.copied == p.items.size());
  CHECK(r.totals.copy_seconds == doctest::Approx(0.5 * static_cast<double>(p.items.size())));
  CHECK(r.damaged.empty());
  CHECK(r.errors.empty());
  CHECK(r.next_steps.back().find("kvm-rescue kickstart --plan") != std::string::npos);
}

TEST_CASE("report: bad sectors name the VM, the disk and the offset; exit 1") {
  auto p = sample_plan();
  p.items[3].guest_disk = "vdb";
  auto m = copied_manifest(p);
  m.items[3].status = run::ItemStatus::copied_with_bad_sectors;
  m.items[3].bad_ranges = {{1048576, 4096}};
  const auto r = run::summarize(p, m, info());
  CHECK(r.exit_code() == 1);
  CHECK(vm(r, "db01").status == "copied_with_bad_sectors");
  CHECK(vm(r, "db01").bad_bytes == 4096);
  CHECK(vm(r, "web01").status == "copied");
  REQUIRE(r.damaged.size() == 1);
  CHECK(r.damaged[0].vm == "db01");
  CHECK(r.damaged[0].source == "centos/db01");
  CHECK(r.damaged[0].guest_disk == "vdb");
  CHECK(r.damaged[0].offset == 1048576);
  const std::string text = run::render_report(r);
  CHECK(text.find("COPIED WITH BAD SECTORS") != std::string::npos);
  CHECK(text.find("disk vdb: centos/db01 offset 1048576 length 4096") != std::string::npos);
  const auto j = run::to_json(r);
  CHECK(j.at("damaged").at(0).at("vm") == "db01");
  CHECK(j.at("damaged").at(0).at("guest_disk") == "vdb");
  CHECK(j.at("exit_code") == 1);
}

TEST_CASE("report: a failed item fails its VM; invalid XML is an error") {
  const auto p = sample_plan();
  auto m = copied_manifest(p);
  m.items[1].status = run::ItemStatus::failed;
  m.items[1].error = "source changed during the copy";
  m.items[4].xml_validation = {"failed", "Relax-NG validity error"};
  const auto r = run::summarize(p, m, info());
  CHECK(r.exit_code() == 1);
  CHECK(vm(r, "web01").status == "failed");
  CHECK(vm(r, "web01").reasons.at(0).find("source changed") != std::string::npos);
  CHECK(r.errors.size() == 2);
  CHECK(run::render_report(r).find("Errors:") != std::string::npos);
}

TEST_CASE("report: cancelled: exit 130, incomplete VMs, next step resumes") {
  const auto p = sample_plan();
  auto m = copied_manifest(p);
  for (std::size_t n = 3; n < m.items.size(); ++n) {
    m.items[n].status = run::ItemStatus::pending;
  }
  auto i = info();
  i.cancelled = true;
  const auto r = run::summarize(p, m, i);
  CHECK(r.exit_code() == 130);
  CHECK(vm(r, "db01").status == "incomplete");
  CHECK(vm(r, "web01").status == "copied");
  CHECK(r.totals.pending == 3);
  CHECK(r.next_steps.front().find("kvm-rescue copy --plan") != std::string::npos);
  CHECK(run::render_report(r).find("CANCELLED") != std::string::npos);
}

TEST_CASE("report: the target failed: exit 3, the error in text and JSON, next step resumes") {
  const auto p = sample_plan();
  auto m = copied_manifest(p);
  m.items[2].status = run::ItemStatus::failed;
  m.items[2].error = "/run/kvm-rescue/target.x/web01.img.partial: write: Input/output error";
  for (std::size_t n = 3; n < m.items.size(); ++n) {
    m.items[n].status = run::ItemStatus::pending;
  }
  auto i = info();
  i.target_failure = m.items[2].error + "; the target stopped taking writes";
  const auto r = run::summarize(p, m, i);
  CHECK(r.exit_code() == 3);
  CHECK(r.next_steps.front().find("kvm-rescue copy --plan") != std::string::npos);
  CHECK(run::render_report(r).find("Result: STOPPED, the target failed: /run/kvm-rescue/") !=
        std::string::npos);
  const auto j = run::to_json(r);
  CHECK(j.at("exit_code") == 3);
  CHECK(j.at("target_failure").get<std::string>().find("Input/output error") != std::string::npos);
}

TEST_CASE("report: text replaces control characters from the old disk") {
  auto p = sample_plan();
  p.vms[0] = "we\x1b[2Jb01";
  auto m = copied_manifest(p);
  for (auto &i : m.items) {
    if (i.vm == "web01") {
      i.vm = p.vms[0];
    }
  }
  const std::string text = run::render_report(run::summarize(p, m, info()));
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("we?[2Jb01") != std::string::npos);
}

TEST_CASE("report: sizes for people") {
  CHECK(run::size_text(512) == "512 B");
  CHECK(run::size_text(1536) == "1.5 KiB");
  CHECK(run::size_text(3ULL << 30U) == "3.0 GiB");
}

TEST_CASE("report: a cdrom medium the plan does not copy is named under its VM") {
  auto p = sample_plan();
  plan::PathRewrite eject;
  eject.vm = "web01";
  eject.file = "/etc/libvirt/qemu/web01.xml";
  eject.from = "/dev/cdrom";
  eject.eject = true;
  eject.reason = "cdrom medium /dev/cdrom is not on the old disk";
  p.rewrites.push_back(eject);
  const auto r = run::summarize(p, copied_manifest(p), info());
  CHECK(r.exit_code() == 0);
  CHECK(vm(r, "web01").status == "copied");
  const auto &why = vm(r, "web01").reasons;
  CHECK(std::any_of(why.begin(), why.end(), [](const std::string &s) {
    return s.find("/dev/cdrom: not copied, the drive is kept empty") != std::string::npos;
  }));
  CHECK(run::render_report(r).find("/dev/cdrom: not copied") != std::string::npos);
  CHECK(vm(r, "db01").reasons.empty());
}
