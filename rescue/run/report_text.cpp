// report.txt (see report_text.hpp).
#include "rescue/run/report_text.hpp"

#include <fmt/format.h>

#include <array>

namespace kvmr::run {
namespace {

// Names come from the old disk: control characters become '?'.
std::string clean(const std::string &s) {
  std::string out = s;
  for (char &c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      c = '?';
    }
  }
  return out;
}

const char *status_words(const std::string &status) {
  if (status == "copied") {
    return "copied, verified";
  }
  if (status == "copied_with_bad_sectors") {
    return "COPIED WITH BAD SECTORS (zero-filled)";
  }
  if (status == "failed") {
    return "FAILED";
  }
  if (status == "incomplete") {
    return "incomplete (copy interrupted)";
  }
  if (status == "skipped") {
    return "skipped";
  }
  return "?";
}

// "qcow2 data: guest offset 0x100000 (4.0 KiB)", and what else it says.
std::string qcow2_text(const scan::Qcow2Hit &h) {
  std::vector<std::string> areas;
  for (const auto a : h.areas) {
    areas.emplace_back(scan::to_string(a));
  }
  std::string out = fmt::format("qcow2 {}", fmt::join(areas, "+"));
  constexpr std::size_t kShown = 4;
  for (std::size_t n = 0; n < h.guest_ranges.size() && n < kShown; ++n) {
    const auto &g = h.guest_ranges[n];
    out += fmt::format("{} guest offset 0x{:x} ({})", n == 0 ? ":" : ",", g.offset,
                       size_text(g.length));
  }
  if (h.guest_ranges.size() > kShown) {
    out += fmt::format(" and {} more guest ranges", h.guest_ranges.size() - kShown);
  }
  if (!h.detail.empty()) {
    out += "; " + h.detail;
  }
  return out;
}

} // namespace

std::string size_text(std::uint64_t bytes) {
  static constexpr std::array<const char *, 6> kUnits{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  auto v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < kUnits.size()) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, kUnits.at(u));
}

std::string render_report(const RunReport &r) {
  std::string out;
  const auto line = [&out](const std::string &s) {
    out += s;
    out += '\n';
  };
  line("kvm-rescue copy report");
  line("======================");
  line(fmt::format("Sources:  {}", clean(fmt::format("{}", fmt::join(r.sources, ", ")))));
  line(fmt::format("Target:   {}{}", clean(r.info.target),
                   r.info.target_root.empty() || r.info.target_root == r.info.target
                       ? ""
                       : fmt::format(" (mounted at {} for the copy)", clean(r.info.target_root))));
  if (!r.info.backend.empty()) {
    line(fmt::format("Read via: {}", r.info.backend));
  }
  line(fmt::format("Run:      {} to {}, {:.1f} s{}", r.info.started, r.info.finished,
                   r.info.seconds, r.info.cancelled ? ", CANCELLED" : ""));
  line("");
  const int code = r.exit_code();
  line(code == 0     ? "Result: every planned item was copied and verified."
       : code == 130 ? "Result: cancelled; what is done is kept, a rerun resumes."
       : code == 3   ? "Result: STOPPED, the target failed: " + clean(r.info.target_failure)
                     : "Result: PARTIAL; see below.");
  line("");
  line("Virtual machines:");
  for (const auto &v : r.vms) {
    if (v.status == "skipped") {
      line(fmt::format("  {:<24} {}", clean(v.name), status_words(v.status)));
    } else {
      line(fmt::format("  {:<24} {}: {} item(s), {}", clean(v.name), status_words(v.status),
                       v.items, size_text(v.bytes)));
    }
    for (const auto &why : v.reasons) {
      line(fmt::format("      {}", clean(why)));
    }
  }
  line("");
  const Totals &t = r.totals;
  line("Totals:");
  line(fmt::format("  items       {} copied, {} failed, {} not done ({} kept from an earlier "
                   "run, {} resumed)",
                   t.copied, t.failed, t.pending, t.reused, t.resumed));
  line(fmt::format("  size        {} apparent, {} data, {} allocated on the target",
                   size_text(t.bytes), size_text(t.data_bytes), size_text(t.allocated_bytes)));
  line(fmt::format("  read        {} in {:.1f} s copying ({}/s), {:.1f} s verifying",
                   size_text(t.bytes_read), t.copy_seconds,
                   size_text(static_cast<std::uint64_t>(t.copy_rate)), t.verify_seconds));
  line(fmt::format("  unreadable  {}", size_text(t.bad_bytes)));
  if (!r.damaged.empty()) {
    line("");
    line("Damaged ranges (unreadable on the old disk, zeros on the target):");
    for (const auto &d : r.damaged) {
      line(fmt::format("  {:<16} {}{} offset {} length {} -> {}", clean(d.vm),
                       d.guest_disk.empty() ? "" : "disk " + clean(d.guest_disk) + ": ",
                       clean(d.source), d.offset, d.length, clean(d.dest)));
      if (d.qcow2) {
        line("      " + clean(qcow2_text(*d.qcow2)));
      }
    }
  }
  if (!r.errors.empty()) {
    line("");
    line("Errors:");
    for (const auto &e : r.errors) {
      line("  " + clean(e));
    }
  }
  if (!r.info.warnings.empty()) {
    line("");
    line("Warnings:");
    for (const auto &w : r.info.warnings) {
      line("  " + clean(w));
    }
  }
  line("");
  line("Next steps:");
  for (const auto &s : r.next_steps) {
    line("  - " + clean(s));
  }
  return out;
}

} // namespace kvmr::run
