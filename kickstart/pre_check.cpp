// The %pre data-volume check (see pre_check.hpp). The script is fixed
// shell functions, then one call per data volume whose arguments are the
// only values taken from the profile, each a single-quoted word.
#include "kickstart/pre_check.hpp"

#include "kickstart/ks_reader.hpp"
#include "kickstart/shell_quote.hpp"
#include "rescue/scan/vm_name.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace kvmr::kickstart {
namespace {

// Messages to the log and the console; cleanup of what the check started.
constexpr std::array kHelpers{
    R"(kvmr_say() {)",
    R"(  printf 'kvm-rescue: %s\n' "$1")",
    R"(  if [ -w "$kvmr_console" ]; then)",
    R"(    printf 'kvm-rescue: %s\n' "$1" >>"$kvmr_console" 2>/dev/null || :)",
    R"(  fi)",
    R"(})",
    R"(kvmr_cleanup() {)",
    R"(  if [ -n "$kvmr_mnt" ]; then)",
    R"(    umount "$kvmr_mnt" 2>/dev/null || umount -l "$kvmr_mnt" 2>/dev/null || :)",
    R"(    rmdir "$kvmr_mnt" 2>/dev/null || :)",
    R"(    kvmr_mnt=)",
    R"(  fi)",
    R"(  if [ -n "$kvmr_vg_up" ]; then)",
    R"(    lvm vgchange -an "$kvmr_vg_up" >/dev/null 2>&1 || :)",
    R"(    kvmr_vg_up=)",
    R"(  fi)",
    R"(  for kvmr_a in $kvmr_md_up; do)",
    R"(    mdadm --stop "$kvmr_a" >/dev/null 2>&1 || :)",
    R"(  done)",
    R"(  kvmr_md_up=)",
    R"(})",
    R"(kvmr_stop() {)",
    R"(  kvmr_cleanup)",
    R"(  kvmr_say "$1")",
    R"(  kvmr_say "Stop: nothing was written. Check the data disk the kickstart names (the New host screen of kvm-rescue), connect the right disk, then start the install again.")",
    R"(  exit 1)",
    R"(})",
};

// A kickstart device name (--onpart) is relative to /dev unless absolute.
constexpr std::array kDev{
    R"(kvmr_dev() {)",
    R"(  case "$1" in)",
    R"(    /*) printf '%s' "$1" ;;)",
    R"(    *) printf '/dev/%s' "$1" ;;)",
    R"(  esac)",
    R"(})",
};

// The filesystem check: UUID, then the manifest in a read-only mount.
constexpr std::array kVolume{
    R"(kvmr_check_fs() {)",
    R"(  kvmr_d=$1 kvmr_want=$2 kvmr_fstype=$3 kvmr_state=$4)",
    R"(  [ -b "$kvmr_d" ] || kvmr_stop "$kvmr_d does not exist on this machine: wrong disk name, or the disk is not connected?")",
    R"(  kvmr_have=$(blkid -p -s UUID -o value "$kvmr_d" 2>/dev/null || blkid -o value -s UUID "$kvmr_d" 2>/dev/null))",
    R"(  if [ -z "$kvmr_have" ]; then)",
    R"(    kvmr_stop "$kvmr_d carries no filesystem UUID, not the rescued data ${kvmr_want:-filesystem}: wrong disk?")",
    R"(  fi)",
    R"(  if [ -n "$kvmr_want" ] && [ "$kvmr_have" != "$kvmr_want" ]; then)",
    R"(    kvmr_stop "$kvmr_d carries filesystem UUID $kvmr_have, not the rescued data $kvmr_want: wrong disk?")",
    R"(  fi)",
    R"(  [ -n "$kvmr_state" ] || { kvmr_say "$kvmr_d carries the rescued filesystem $kvmr_have"; return 0; })",
    R"(  kvmr_mnt=$(mktemp -d /tmp/kvm-rescue-pre.XXXXXX) || kvmr_stop "cannot make a temporary directory to look at $kvmr_d")",
    R"(  case "$kvmr_fstype" in)",
    R"(    xfs) kvmr_o=ro,norecovery ;;)",
    R"(    ext3 | ext4) kvmr_o=ro,noload ;;)",
    R"(    *) kvmr_o=ro ;;)",
    R"(  esac)",
    R"(  if ! mount -t "$kvmr_fstype" -o "$kvmr_o" "$kvmr_d" "$kvmr_mnt"; then)",
    R"(    rmdir "$kvmr_mnt"; kvmr_mnt=)",
    R"(    kvmr_stop "$kvmr_d carries the rescued filesystem UUID $kvmr_have but cannot be mounted read-only as $kvmr_fstype")",
    R"(  fi)",
    R"(  kvmr_m="$kvmr_mnt/$kvmr_state/manifest.json")",
    R"(  if ! [ -f "$kvmr_m" ] || ! grep -q '"kvm-rescue.manifest"' "$kvmr_m"; then)",
    R"(    kvmr_stop "$kvmr_d carries the rescued filesystem UUID $kvmr_have but no kvm-rescue payload ($kvmr_state/manifest.json is missing): was the copy run onto this disk?")",
    R"(  fi)",
    R"(  umount "$kvmr_mnt" || kvmr_stop "cannot unmount $kvmr_d from $kvmr_mnt")",
    R"(  rmdir "$kvmr_mnt"; kvmr_mnt=)",
    R"(  kvmr_say "$kvmr_d carries the rescued filesystem $kvmr_have and the kvm-rescue payload")",
    R"(})",
};

// LVM: activate only the data VG when its LV is not there yet.
constexpr std::array kLvm{
    R"(kvmr_check_lv() {)",
    R"(  kvmr_lvdev=/dev/$1/$2)",
    R"(  if ! [ -b "$kvmr_lvdev" ]; then)",
    R"(    lvm vgchange -ay "$1" || kvmr_stop "the volume group $1 (with the rescued data) cannot be activated: are its disks connected, and named right in the kickstart?")",
    R"(    kvmr_vg_up=$1)",
    R"(    udevadm settle 2>/dev/null || :)",
    R"(  fi)",
    R"(  if ! [ -b "$kvmr_lvdev" ]; then)",
    R"(    kvmr_lvdev=/dev/mapper/$(printf '%s' "$1" | sed 's/-/--/g')-$(printf '%s' "$2" | sed 's/-/--/g'))",
    R"(  fi)",
    R"(  [ -b "$kvmr_lvdev" ] || kvmr_stop "the volume group $1 has no logical volume $2: wrong disk?")",
    R"(  kvmr_check_fs "$kvmr_lvdev" "$3" "$4" "$5")",
    R"(  kvmr_cleanup)",
    R"(})",
};

// md: /dev/md/NAME (or HOMEHOST:NAME, or mdN); assemble only when absent.
constexpr std::array kMd{
    R"(kvmr_md_find() {)",
    R"(  for kvmr_c in "/dev/md/$1" /dev/md/*:"$1"; do)",
    R"(    if [ -b "$kvmr_c" ]; then printf '%s' "$kvmr_c"; return 0; fi)",
    R"(  done)",
    R"(  case "$1" in md[0-9]*) if [ -b "/dev/$1" ]; then printf '/dev/%s' "$1"; return 0; fi ;; esac)",
    R"(  return 1)",
    R"(})",
    R"(kvmr_md_list() {)",
    R"(  [ -r /proc/mdstat ] && sed -n 's/^\(md[^ ]*\) :.*/\1/p' /proc/mdstat)",
    R"(})",
    R"(kvmr_check_md() {)",
    R"(  if ! kvmr_mddev=$(kvmr_md_find "$1"); then)",
    R"(    kvmr_before=" $(kvmr_md_list | tr '\n' ' ') ")",
    R"(    mdadm --assemble --scan || :)",
    R"(    udevadm settle 2>/dev/null || :)",
    R"(    for kvmr_a in $(kvmr_md_list); do)",
    R"(      case "$kvmr_before" in *" $kvmr_a "*) ;; *) kvmr_md_up="$kvmr_md_up /dev/$kvmr_a" ;; esac)",
    R"(    done)",
    R"(    kvmr_mddev=$(kvmr_md_find "$1") || kvmr_stop "no md array $1 (with the rescued data) on this machine: are all its disks connected, and named right in the kickstart?")",
    R"(  fi)",
    R"(  kvmr_check_fs "$kvmr_mddev" "$2" "$3" "$4")",
    R"(  kvmr_cleanup)",
    R"(})",
};

void append(std::vector<std::string> &out, const auto &lines) {
  for (const char *l : lines) {
    out.emplace_back(l);
  }
}

// VALUE as one shell word; refused when no script line can carry it.
std::string word(std::string_view field, std::string_view value) {
  if (has_line_break_or_control(value)) {
    throw InputError(fmt::format("{} \"{}\" holds a line break or control character: the "
                                 "kickstart's %pre check cannot carry it",
                                 field, scan::escaped_name(value)));
  }
  return shell_quote(value);
}

// The state directory relative to D's mount point when the payload is on
// D ("kvm-rescue"), else empty (only the UUID is checked).
std::string state_dir_on(const Profile &p, const DataDisk &d) {
  const std::string root = d.mountpoint == "/" ? "" : d.mountpoint;
  const std::string_view tail = "/payload";
  std::string_view pd = p.payload_dir;
  if (!pd.starts_with(root + "/") || !pd.ends_with(tail)) {
    return {};
  }
  pd.remove_prefix(root.size() + 1);
  pd.remove_suffix(tail.size());
  return std::string(pd);
}

std::string check_line(const Profile &p, const DataDisk &d) {
  const std::string tail = word("data filesystem UUID", d.fs_uuid) + " " +
                           word("data filesystem type", d.fstype) + " " +
                           word("kvm-rescue state directory", state_dir_on(p, d));
  switch (d.kind) {
  case DataKind::lvm:
    return "kvmr_check_lv " + word("data volume group", d.vg) + " " +
           word("data logical volume", d.lv) + " " + tail;
  case DataKind::md: return "kvmr_check_md " + word("data md array", d.md) + " " + tail;
  case DataKind::partition: break;
  }
  const std::string &dev = d.partition.empty() ? d.disk : d.partition;
  return "kvmr_check_fs \"$(kvmr_dev " + word("data partition", dev) + ")\" " + tail;
}

} // namespace

KsSection pre_section(const Profile &p, const PreCheckOptions &o) {
  KsSection sec{"%pre --erroronfail --log=/tmp/kvm-rescue-pre.log", {}};
  auto &out = sec.body;
  out.emplace_back("# kvm-rescue: stop before anything is written unless the data volume named");
  out.emplace_back("# below carries the rescued filesystem (its UUID) and the copy's payload.");
  out.push_back("kvmr_console=" + word("console", o.console));
  out.emplace_back("kvmr_mnt='' kvmr_vg_up='' kvmr_md_up=''");
  append(out, kHelpers);
  append(out, kVolume);
  const auto has = [&p](DataKind k) {
    return std::ranges::any_of(p.data_disks, [k](const DataDisk &d) { return d.kind == k; });
  };
  if (has(DataKind::partition)) {
    append(out, kDev);
  }
  if (has(DataKind::lvm)) {
    append(out, kLvm);
  }
  if (has(DataKind::md)) {
    append(out, kMd);
  }
  for (const auto &d : p.data_disks) {
    out.push_back(check_line(p, d));
  }
  out.emplace_back("exit 0");
  return sec;
}

std::string pre_check_script(const Profile &p, const PreCheckOptions &o) {
  std::string s = "#!/bin/bash\n";
  for (const auto &l : pre_section(p, o).body) {
    s += l;
    s += '\n';
  }
  return s;
}

} // namespace kvmr::kickstart
