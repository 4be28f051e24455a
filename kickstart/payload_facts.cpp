#include "kickstart/payload_facts.hpp"

#include "rescue/scan/domain_xml.hpp"
#include "rescue/scan/snapshot_xml.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace kvmr::kickstart {
namespace {

bool slurp(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

} // namespace

PayloadFacts read_payload_facts(const plan::RescuePlan &plan, const std::string &target_root) {
  PayloadFacts f;
  for (const auto &i : plan.items) {
    if (i.kind != plan::ItemKind::domain_xml && i.kind != plan::ItemKind::snapshot_xml) {
      continue;
    }
    const std::string path = target_root + "/" + i.dest;
    std::string text;
    if (!slurp(path, text)) {
      f.unreadable.push_back(path + ": cannot read it");
      continue;
    }
    try {
      if (i.kind == plan::ItemKind::domain_xml) {
        const scan::Domain d = scan::parse_domain_xml(text, path);
        GuestFacts g;
        g.name = i.vm.empty() ? d.name : i.vm;
        g.machine = d.machine;
        g.loader = d.loader ? d.loader->path : "";
        g.nvram_template = d.nvram ? d.nvram->template_path : "";
        f.guests.push_back(std::move(g));
      } else {
        const scan::DomainSnapshot s = scan::parse_snapshot_xml(text, path);
        f.snapshots.push_back({i.vm.empty() ? s.domain_name : i.vm, s.name, s.parent});
      }
    } catch (const std::exception &e) {
      f.unreadable.push_back(path + ": " + e.what());
    }
  }
  return f;
}

std::string reachable_target_root(const plan::RescuePlan &plan, const std::string &plan_file) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (plan.target.kind == plan::TargetKind::directory && !plan.target.path.empty()) {
    candidates.emplace_back(plan.target.path);
  }
  if (!plan_file.empty()) {
    const fs::path state = fs::absolute(plan_file).parent_path();
    if (state.filename() == plan.layout.state_dir) {
      candidates.push_back(state.parent_path());
    }
  }
  for (const auto &c : candidates) {
    std::error_code ec;
    if (fs::is_directory(c / plan.layout.state_dir / "payload", ec)) {
      return c.string();
    }
  }
  return "";
}

} // namespace kvmr::kickstart
