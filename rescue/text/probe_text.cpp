// Human rendering of probe results (see probe_text.hpp).
#include "rescue/text/probe_text.hpp"

#include "rescue/text/text.hpp"

#include <fmt/format.h>

namespace kvmr::text {
namespace {

using namespace kvmr::disk; // NOLINT(google-build-using-namespace): .cpp only

void add(std::string &out, const std::vector<std::string> &lines) {
  for (const auto &l : lines) {
    out += l;
    out += '\n';
  }
}

const char *verdict_words(BootVerdict v) {
  switch (v) {
  case BootVerdict::boots: return "BOOTS";
  case BootVerdict::does_not_boot: return "WILL NOT BOOT";
  case BootVerdict::unknown: return "NOT SURE";
  case BootVerdict::not_applicable: return "n/a";
  }
  return "?";
}

std::string device_line(const Disk &d) {
  if (!d.device.is_block_device) {
    return fmt::format("image file, {}", human_size(d.size));
  }
  std::string s = fmt::format(
      "{} disk, {}", d.device.transport.empty() ? "block" : d.device.transport, human_size(d.size));
  if (!d.device.model.empty()) {
    s += ", model " + d.device.model;
  }
  if (!d.device.serial.empty()) {
    s += ", serial " + d.device.serial;
  }
  if (d.device.rotational.has_value()) {
    s += *d.device.rotational ? ", rotational" : ", solid state";
  }
  if (d.device.removable.value_or(false)) {
    s += ", removable";
  }
  return s;
}

std::string content(const Filesystem &f, PartitionState state) {
  if (f.outcome != ProbeOutcome::found) {
    if (!f.role.empty()) {
      return f.role;
    }
    if (f.outcome == ProbeOutcome::ambiguous) {
      return "more than one filesystem signature";
    }
    if (f.outcome == ProbeOutcome::error) {
      return "could not be probed: " + f.error;
    }
    return state == PartitionState::empty ? "no filesystem (all zero)" : "no filesystem recognised";
  }
  std::string s = f.role;
  if (!f.uuid.empty()) {
    s += ", UUID " + f.uuid;
  }
  if (!f.label.empty()) {
    s += ", label \"" + f.label + "\"";
  }
  if (f.checksum == ChecksumVerdict::ok) {
    s += ", checksum ok";
  } else if (f.checksum == ChecksumVerdict::bad) {
    s += ", CHECKSUM BAD";
  }
  return s;
}

void render_partitions(std::string &out, const Disk &d) {
  const auto &t = d.table;
  add(out,
      wrap(fmt::format("{} partition table, id {}", t.type == "dos" ? "MBR (dos)" : "GPT", t.id),
           "  ", "    "));
  for (const auto &p : t.partitions) {
    std::string type = p.type_name.empty() ? p.type_code : p.type_name;
    add(out, {fmt::format("  {:>2}  at {:>9}  {:>9}  {:<27.27} {:>8}", p.number,
                          human_size(p.start), human_size(p.size), type, to_string(p.state))});
    add(out, wrap(content(p.fs, p.state), "      ", "      "));
    for (const auto &pr : p.problems) {
      add(out, wrap(pr, "      ! ", "        "));
    }
  }
  for (const auto &pr : t.problems) {
    add(out, wrap(pr, "  ! ", "    "));
  }
}

void render_boot(std::string &out, const char *mode, const BootPath &b) {
  add(out, {fmt::format("  {} boot: {}", mode, verdict_words(b.verdict))});
  add(out, wrap(b.summary, "    ", "    "));
  for (const auto &e : b.evidence) {
    if (e.state == EvidenceState::ok) {
      add(out, wrap(fmt::format("{}: {}", e.item, e.detail), "    + ", "      "));
    } else if (e.state != EvidenceState::not_checked) {
      add(out, wrap(fmt::format("{}: {}", e.item, e.detail), "    - ", "      "));
    }
  }
}

void render_disk(std::string &out, const Disk &d) {
  add(out, wrap(fmt::format("{}  [{}]", d.path, to_string(d.status)), "", "  "));
  if (d.status == DiskStatus::error) {
    add(out, wrap(d.error, "  ! ", "    "));
    return;
  }
  add(out, wrap(device_line(d), "  ", "    "));
  for (const auto &id : d.device.by_id) {
    add(out, wrap(id, "  by-id ", "    "));
  }
  if (d.status == DiskStatus::blank) {
    add(out, {"  blank: no partition table, no filesystem, first MiB all zeros"});
  }
  if (!d.table.type.empty()) {
    render_partitions(out, d);
  } else if (d.whole_disk) {
    add(out, wrap(content(*d.whole_disk, PartitionState::intact), "  whole disk: ", "    "));
  }
  for (const auto &pr : d.problems) {
    add(out, wrap(pr, "  ! ", "    "));
  }
  if (d.boot.bios.verdict != BootVerdict::not_applicable || !d.table.type.empty()) {
    render_boot(out, "BIOS", d.boot.bios);
    render_boot(out, "UEFI", d.boot.uefi);
  }
  if (!d.boot.not_checked.empty()) {
    add(out,
        wrap(fmt::format("{}.", fmt::join(d.boot.not_checked, "; ")), "  not checked: ", "    "));
  }
  add(out, wrap(fmt::format("{} ({})", to_string(d.smart.status), d.smart.detail),
                "  health: ", "    "));
}

} // namespace

std::string render_probe(const std::vector<Disk> &disks) {
  std::string out;
  for (std::size_t i = 0; i < disks.size(); ++i) {
    if (i > 0) {
      out += '\n';
    }
    render_disk(out, disks[i]);
  }
  return out;
}

} // namespace kvmr::text
