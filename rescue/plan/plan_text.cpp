// The plan as text for review (see plan_build.hpp).
#include "rescue/plan/plan_build.hpp"
#include "rescue/text/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kvmr::plan {
namespace {

using text::human_size;

void line(std::string &out, const std::string &text, const std::string &first = "  ",
          const std::string &rest = "      ") {
  for (const auto &l : text::wrap(text, first, rest)) {
    out += l + '\n';
  }
}

std::string identity_text(const DiskIdentity &d) {
  std::string s = fmt::format("{} ({}", d.path, human_size(d.size));
  if (!d.table_type.empty()) {
    s += ", " + d.table_type + " " + d.table_id;
  }
  if (!d.serial.empty()) {
    s += ", serial " + d.serial;
  } else if (!d.by_id.empty()) {
    s += ", " + d.by_id.front();
  }
  s += fmt::format(", {} filesystem UUID(s))", d.fs_uuids.size());
  return s;
}

std::string item_text(const PlanItem &i) {
  std::string s = fmt::format("{}: {}", to_string(i.kind), i.source);
  if (i.kind == ItemKind::image || i.kind == ItemKind::lv_image) {
    s += fmt::format(" -> {} ({}, {}, {} allocated)", i.dest, i.format, human_size(i.size),
                     human_size(i.allocated));
    if (!i.convert_from.empty()) {
      s += fmt::format(", converted from {} (the whole chain)", i.convert_from);
    }
    if (i.new_path != i.source && i.kind == ItemKind::image) {
      s += ", on the new host " + i.new_path;
    }
    if (!i.new_backing_name.empty()) {
      s += fmt::format(", backing file renamed to {} ({})", i.new_backing_name,
                       i.new_backing_format.empty() ? "format kept" : i.new_backing_format);
    }
    return s;
  }
  if (i.secret) {
    s += " (mode 0600, value not shown)";
  } else if (i.size > 0) {
    s += " (" + human_size(i.size) + ")";
  }
  if (i.rewritten) {
    s += ", rewritten";
  }
  if (i.autostart) {
    s += ", autostart";
  }
  return s;
}

void items_of(std::string &out, const RescuePlan &p, const std::string &vm) {
  for (const auto &i : p.items) {
    if (i.vm == vm) {
      line(out, item_text(i), "  ", "      ");
    }
  }
}

std::string target_text(const PlanTarget &t) {
  if (t.kind == TargetKind::remote) {
    return fmt::format("another KVM host, {} ({}{} free there), host key {}", t.path,
                       t.fs_type.empty() ? "" : t.fs_type + ", ", human_size(t.capacity),
                       t.host_key.empty() ? "as in " + t.known_hosts : t.host_key);
  }
  if (t.kind == TargetKind::directory) {
    return fmt::format("directory {} ({}{} free)", t.path,
                       t.fs_type.empty() ? "" : t.fs_type + ", ", human_size(t.capacity));
  }
  return fmt::format("{} {}, to be prepared: GPT, {} data filesystem \"{}\"{}{}, {} for data",
                     to_string(t.kind), t.disk ? identity_text(*t.disk) : t.path, t.fs_type,
                     t.label, t.el7_compatible ? " (CentOS 7 compatible)" : "",
                     t.oemdrv ? ", OEMDRV partition" : "", human_size(t.capacity));
}

std::string count(std::size_t n, const char *what) {
  return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
}

} // namespace

std::string logins_choice(const KickstartChoices &k) {
  const scan::Logins &old = k.old_logins;
  std::string root;
  std::size_t root_keys = k.ssh_key.empty() ? 0 : 1;
  if (k.root_password == "keep-old") {
    root_keys += old.root_keys.size();
    root = old.root_hash.empty() ? "root locked" : "root's old password";
  } else {
    root = k.root_password == "hash" ? "a new root password" : "root locked";
  }
  if (root_keys > 0) {
    root += ", " + count(root_keys, "SSH key");
  }
  std::string users;
  if (!old.admins.empty()) {
    users = count(old.admins.size(), "admin account") + " of the old host";
    if (!old.sudoers.empty()) {
      users += " and its sudoers.d";
    }
  }
  std::string out =
      k.root_password == "keep-old"
          ? fmt::format("same as the old host ({}): {}",
                        old.admins.empty() ? std::string("root only")
                                           : "root + " + count(old.admins.size(), "user"),
                        root)
          : root;
  if (k.root_password != "keep-old" && !users.empty()) {
    out += " + " + users;
  }
  return out;
}

bool gives_way_in(const KickstartChoices &k) {
  const scan::Logins &old = k.old_logins;
  const bool root =
      !k.ssh_key.empty() ||
      (k.root_password == "keep-old" && (!old.root_hash.empty() || !old.root_keys.empty())) ||
      (k.root_password == "hash" && !k.root_password_hash.empty());
  return root || old.admin_way_in();
}

namespace {

// The new host's choices, for a plan whose target gets a kickstart.
void kickstart_text(std::string &out, const KickstartChoices &k) {
  out += '\n';
  line(out, "New host (kickstart)", "", "  ");
  line(out, fmt::format("dialect {}, hostname {}, OS disk {}", k.dialect,
                        k.hostname.empty() ? "-" : k.hostname,
                        k.os_disk.empty() ? "(to choose)" : k.os_disk));
  line(out, "logins: " + logins_choice(k));
  line(out, fmt::format("time zone {}, language {}, keyboard {}, install from {}{}",
                        k.timezone.empty() ? "-" : k.timezone, k.lang.empty() ? "-" : k.lang,
                        k.keyboard.empty() ? "-" : k.keyboard, k.install_source,
                        k.install_url.empty() ? "" : " " + k.install_url));
  for (const auto &[from, to] : k.nic_map) {
    line(out, fmt::format("NIC {} -> {}", from, to));
  }
}

} // namespace

std::string render_plan(const RescuePlan &p) {
  std::string out;
  line(out,
       fmt::format("Rescue plan for old host {} ({}, {})", p.old_hostname, p.created, p.generator),
       "", "  ");
  for (const auto &s : p.sources) {
    line(out, "source " + identity_text(s));
  }
  line(out, "target " + target_text(p.target));
  const bool remote = p.target.kind == TargetKind::remote;
  line(out, remote
                ? fmt::format("on that host the run goes to {}", p.layout.images_dir)
                : fmt::format("on the new host the target is mounted at {}", p.layout.images_dir));
  line(out, fmt::format("needs {} ({} items, margin included); {}", human_size(p.bytes_needed),
                        p.items.size(),
                        p.bytes_needed <= p.target.capacity
                            ? "fits"
                            : "DOES NOT FIT (" + human_size(p.target.capacity) + ")"));
  for (const auto &vm : p.vms) {
    out += '\n';
    line(out, "VM " + vm, "", "  ");
    items_of(out, p, vm);
  }
  out += '\n';
  line(out, "Host: libvirt networks, pools, secrets; files for the kickstart", "", "  ");
  items_of(out, p, "");
  if (!p.rewrites.empty()) {
    out += '\n';
    line(out, "Rewrites", "", "  ");
    for (const auto &r : p.rewrites) {
      if (r.eject) {
        line(out, fmt::format("{}: {} not copied, the drive is kept empty ({})", r.file, r.from,
                              r.reason));
        continue;
      }
      line(out, fmt::format("{}: {} -> {}{}{} ({})", r.file, r.from, r.to,
                            r.block_to_file ? ", block disk becomes a file" : "",
                            r.new_format.empty() ? "" : ", format " + r.new_format, r.reason));
    }
  }
  if (!p.skipped.empty()) {
    out += '\n';
    line(out, "Not rescued", "", "  ");
    for (const auto &s : p.skipped) {
      line(out, s);
    }
  }
  if (!remote) {
    kickstart_text(out, p.kickstart);
  }
  if (!p.warnings.empty()) {

    out += '\n';
    line(out, "Warnings", "", "  ");
    for (const auto &w : p.warnings) {
      line(out, w);
    }
  }
  return out;
}

} // namespace kvmr::plan
