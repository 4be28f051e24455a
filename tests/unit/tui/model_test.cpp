// The wizard's pure rules: default selections, totals, the typed wipe
// confirmation, the OS disk refusals, bars and durations.
#include "tui/model.hpp"

#include "rescue/text/text.hpp"

#include <doctest/doctest.h>

using namespace kvmr::tui; // NOLINT(google-build-using-namespace)
namespace disk = kvmr::disk;
namespace scan = kvmr::scan;

namespace {

disk::Disk make_disk(const std::string &path, disk::DiskStatus st, const std::string &by_id = "") {
  disk::Disk d;
  d.path = path;
  d.status = st;
  d.size = std::uint64_t{500} << 30U;
  if (!by_id.empty()) {
    d.device.by_id.push_back(by_id);
  }
  return d;
}

scan::VmInfo make_vm(const std::string &name, scan::Readiness r, std::uint64_t alloc,
                     std::uint64_t virt) {
  scan::VmInfo vm;
  vm.name = name;
  vm.readiness = r;
  vm.allocated = alloc;
  scan::VmDisk d;
  d.device = "disk";
  d.virtual_size = virt;
  vm.disks.push_back(d);
  scan::VmDisk cd;
  cd.device = "cdrom";
  cd.virtual_size = 999;
  vm.disks.push_back(cd);
  return vm;
}

} // namespace

TEST_CASE("the old host's disks default to every readable, non-blank disk but the target") {
  const std::vector<disk::Disk> disks{
      make_disk("/dev/sda", disk::DiskStatus::ok), make_disk("/dev/sdb", disk::DiskStatus::blank),
      make_disk("/dev/sdc", disk::DiskStatus::problems),
      make_disk("/dev/sdd", disk::DiskStatus::error), make_disk("/dev/sde", disk::DiskStatus::ok)};
  CHECK(default_sources(disks, "/dev/sde") == std::vector<bool>{true, false, true, false, false});
}

TEST_CASE(
    "the rescue medium is never ticked as the old host: a DVD, or a stick labelled KVMRESCUE") {
  disk::Disk dvd = make_disk("/dev/sr0", disk::DiskStatus::ok);
  disk::Disk stick = make_disk("/dev/sdb", disk::DiskStatus::problems);
  disk::Partition p;
  p.number = 1;
  p.fs.type = "iso9660";
  p.fs.label = "KVMRESCUE";
  stick.table.partitions.push_back(p);
  disk::Disk bare_iso = make_disk("/dev/sdc", disk::DiskStatus::ok);
  bare_iso.whole_disk = p.fs;
  disk::Disk other_iso = make_disk("/dev/sdd", disk::DiskStatus::ok);
  other_iso.whole_disk = p.fs;
  other_iso.whole_disk->label = "CentOS 7 x86_64"; // an installer DVD image: a disk like any other
  const std::vector<disk::Disk> disks{make_disk("/dev/sda", disk::DiskStatus::ok), dvd, stick,
                                      bare_iso, other_iso};
  CHECK(default_sources(disks, "") == std::vector<bool>{true, false, false, false, true});
  CHECK(kvmr::flow::is_rescue_medium(stick));
  CHECK_FALSE(kvmr::flow::is_rescue_medium(disks[0]));
}

TEST_CASE("ready VMs are ticked, not-ready ones are not; totals follow the ticks") {
  scan::HostInventory inv;
  inv.vms.push_back(make_vm("web", scan::Readiness::ready, 100, 1000));
  inv.vms.push_back(make_vm("db", scan::Readiness::warnings, 200, 2000));
  inv.vms.push_back(make_vm("broken", scan::Readiness::not_ready, 400, 4000));
  const auto sel = default_vm_selection(inv);
  CHECK(sel == std::vector<bool>{true, true, false});
  const VmTotals t = totals(inv, sel);
  CHECK(t.vms == 2);
  CHECK(t.allocated == 300);
  CHECK(t.virtual_bytes == 3000); // the CD-ROM does not count
  CHECK(chosen_vms(inv, {false, true, true}) == std::vector<std::string>{"db", "broken"});
}

TEST_CASE("a wipe is confirmed by the path, the kernel name or the model, nothing else") {
  CHECK(confirms_wipe("/dev/sdc", "/dev/sdc", "Samsung SSD 860"));
  CHECK(confirms_wipe("  sdc ", "/dev/sdc", "Samsung SSD 860"));
  CHECK(confirms_wipe("Samsung SSD 860", "/dev/sdc", "Samsung SSD 860"));
  CHECK_FALSE(confirms_wipe("sdb", "/dev/sdc", "Samsung SSD 860"));
  CHECK_FALSE(confirms_wipe("", "/dev/sdc", ""));
  CHECK_FALSE(confirms_wipe("  ", "/dev/sdc", "  "));
  CHECK_FALSE(confirms_wipe("yes", "/dev/sdc", ""));
}

TEST_CASE("the OS disk is never a source or the target, by path or by-id name") {
  const std::vector<disk::Disk> disks{
      make_disk("/dev/sda", disk::DiskStatus::ok, "/dev/disk/by-id/ata-OLD_1"),
      make_disk("/dev/sdb", disk::DiskStatus::blank, "/dev/disk/by-id/ata-NEWDATA_2"),
      make_disk("/dev/sdc", disk::DiskStatus::blank, "/dev/disk/by-id/ata-NEWOS_3")};
  const std::vector<bool> src{true, false, false};
  CHECK(os_disk_problem("ata-OLD_1", disks, src, "/dev/sdb").has_value());
  CHECK(os_disk_problem("/dev/sda", disks, src, "/dev/sdb").has_value());
  CHECK(os_disk_problem("/dev/disk/by-id/ata-NEWDATA_2", disks, src, "/dev/sdb").has_value());
  CHECK(os_disk_problem("/dev/sdb", disks, src, "/dev/sdb").has_value());
  CHECK(os_disk_problem("", disks, src, "/dev/sdb").has_value());
  CHECK_FALSE(os_disk_problem("ata-NEWOS_3", disks, src, "/dev/sdb").has_value());
  // Not attached here (the new SSD replaces the dead one): allowed.
  CHECK_FALSE(os_disk_problem("nvme-Samsung_X", disks, src, "/dev/sdb").has_value());
  CHECK(os_disk_choices(disks, src, "/dev/sdb") ==
        std::vector<std::string>{"/dev/disk/by-id/ata-NEWOS_3"});
}

TEST_CASE("bars and durations") {
  CHECK(bar(0, 100, 12) == "[..........]");
  CHECK(bar(50, 100, 12) == "[#####.....]");
  CHECK(bar(100, 100, 12) == "[##########]");
  CHECK(bar(0, 0, 12) == "[##########]");
  CHECK(duration_text(std::nullopt) == "--");
  CHECK(duration_text(12.4) == "12s");
  CHECK(duration_text(185) == "3m05s");
  CHECK(duration_text(3720) == "1h02m");
}

TEST_CASE("a disk row names the boot verdict in words") {
  disk::Disk d = make_disk("/dev/sda", disk::DiskStatus::ok);
  d.table.type = "gpt";
  d.boot.bios.verdict = disk::BootVerdict::does_not_boot;
  d.boot.uefi.verdict = disk::BootVerdict::not_applicable;
  const std::string row = disk_row(d);
  CHECK(row.find("GPT 0 part.") != std::string::npos);
  CHECK(row.find("does not boot") != std::string::npos);
  CHECK(row.find("SMART") == std::string::npos);
  d.smart.status = disk::SmartStatus::failed;
  CHECK(disk_row(d).find("SMART: FAILING") != std::string::npos);
  d.boot.uefi.verdict = disk::BootVerdict::boots;
  CHECK(boot_words(d) == "boots (UEFI)");
  d.boot.bios.verdict = disk::BootVerdict::not_applicable;
  d.boot.uefi.verdict = disk::BootVerdict::not_applicable;
  CHECK(boot_words(d) == "no boot loader");
}

TEST_CASE("a long path keeps its end") {
  CHECK(path_cell("/dev/sda", 10) == "/dev/sda  ");
  CHECK(path_cell("/work/main/build/fixtures/story.img", 16) == "...res/story.img");
  CHECK(kvmr::text::columns(path_cell("/very/long/path/with/\xe6\x97\xa5\xe6\x9c\xac.img", 12)) ==
        12);
}

TEST_CASE("the Network screen's rows: link state, driver, addresses or none") {
  kvmr::net::Nic n;
  n.name = "ens3";
  n.mac = "52:54:00:12:34:56";
  n.driver = "virtio_net";
  n.link = kvmr::net::LinkState::no_carrier;
  CHECK(nic_row(n).find("no-carrier") != std::string::npos);
  CHECK(nic_row(n).find("(no address)") != std::string::npos);
  CHECK(nic_addresses({n}).empty());
  n.addresses.push_back({6, "fe80::1", 64, "link"});
  CHECK(nic_addresses({n}).empty()); // link-local reaches no other host
  n.addresses.push_back({4, "10.0.2.15", 24, "global"});
  CHECK(nic_row(n).find("10.0.2.15/24") != std::string::npos);
  CHECK(nic_addresses({n}) == "ens3 10.0.2.15/24");
}

TEST_CASE("the Remote restore screen's choices in words") {
  kvmr::plan::RestoreChoices c;
  CHECK(restore_choices_line(c) == "s: start the autostart VMs: no   e: allow emulation: no");
  CHECK(renames_line(c) == "r: rename a VM whose name that host already has");
  c.start = true;
  c.allow_emulation = true;
  c.renames.push_back({"web01", "web01-rescued"});
  c.renames.push_back({"db", "db2"});
  CHECK(restore_choices_line(c) == "s: start the autostart VMs: YES   e: allow emulation: YES");
  CHECK(renames_line(c) == "r: renamed: web01 as web01-rescued, db as db2");
}

TEST_CASE("the answer file names a key file beside it relative to itself") {
  kvmr::plan::RescuePlan p;
  p.target.identity = "/media/stick/id_ed25519";
  CHECK(answer_file_plan(p, "/media/stick/plan.json").target.identity == "id_ed25519");
  CHECK(answer_file_plan(p, "/media/other/plan.json").target.identity == "/media/stick/id_ed25519");
  p.target.identity = "/media/stick/keys/id_ed25519";
  CHECK(answer_file_plan(p, "/media/stick/plan.json").target.identity ==
        "/media/stick/keys/id_ed25519");
  p.target.identity = "id_rsa";
  CHECK(answer_file_plan(p, "plan.json").target.identity == "id_rsa");
}
