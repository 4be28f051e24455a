// flow::target_candidates: which disks are offered, in which order, how
// each is described; and, with real loop devices, that a loop device
// named explicitly is offered while a source image is refused.
#include "rescue/flow/targets.hpp"

#include "unit/rescue/test_util.hpp"
#include "unit/target/target_fixture.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace kvmr {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30U;

disk::Disk block(const std::string &path, const std::string &transport = "sata") {
  disk::Disk d;
  d.path = path;
  d.status = disk::DiskStatus::blank;
  d.size = 4 * kGiB;
  d.logical_sector_size = 512;
  d.device.is_block_device = true;
  d.device.transport = transport;
  return d;
}

// Whether the filesystem mounted as M sits on a block device, as sysfs
// says (asked here, not of the code under test).
bool on_block_device(const target::MountEntry &m) {
  return std::filesystem::exists("/sys/dev/block/" + std::to_string(m.major) + ":" +
                                 std::to_string(m.minor));
}

std::string joined(const std::vector<std::string> &v) {
  std::string out;
  for (const auto &s : v) {
    out += s + "\n";
  }
  return out;
}

bool any_contains(const std::vector<std::string> &v, const std::string &part) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string &s) { return s.find(part) != std::string::npos; });
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

} // namespace

TEST_CASE("offered_paths: explicit paths first, then the rest; never rom, boot, unnamed loops") {
  const std::vector<disk::Disk> all = {
      block("/dev/sdx"),       block("/dev/sr7"), block("/dev/loop97", "loop"),
      block("/dev/kvmrboot0"), block("/dev/sdy"), block("/dev/nvme9n1", "nvme"),
  };
  const std::vector<std::string> boot = {"/dev/kvmrboot0"};

  SUBCASE("no explicit paths: disks in their order, without rom, loop, boot medium") {
    CHECK(flow::offered_paths(all, {}, boot) ==
          std::vector<std::string>{"/dev/sdx", "/dev/sdy", "/dev/nvme9n1"});
  }
  SUBCASE("explicit paths come first, in their order, each once; a named loop device is offered") {
    const std::vector<std::string> expl = {"/dev/sdy", "/dev/loop97", "/srv/kvmr-no-such-dir"};
    CHECK(flow::offered_paths(all, expl, boot) ==
          std::vector<std::string>{"/dev/sdy", "/dev/loop97", "/srv/kvmr-no-such-dir", "/dev/sdx",
                                   "/dev/nvme9n1"});
  }
  SUBCASE("the boot medium and a rom device are not offered even when named") {
    CHECK(flow::offered_paths(all, {"/dev/kvmrboot0", "/dev/sr7"}, boot) ==
          std::vector<std::string>{"/dev/sdx", "/dev/sdy", "/dev/nvme9n1"});
  }
  SUBCASE("the rescue medium written to a USB stick (ISO 9660 labelled KVMRESCUE) is not offered") {
    std::vector<disk::Disk> more = all;
    disk::Disk stick = block("/dev/sdz", "usb");
    disk::Partition p;
    p.number = 1;
    p.fs.type = "iso9660";
    p.fs.label = "KVMRESCUE";
    stick.table.partitions.push_back(p);
    more.push_back(stick);
    CHECK(flow::offered_paths(more, {"/dev/sdz"}, boot) ==
          std::vector<std::string>{"/dev/sdx", "/dev/sdy", "/dev/nvme9n1"});
  }
  SUBCASE("a loop device is known by its transport as well as its name") {
    std::vector<disk::Disk> more = all;
    more.push_back(block("/dev/kvmr-by-transport", "loop"));
    CHECK(flow::offered_paths(more, {}, boot) ==
          std::vector<std::string>{"/dev/sdx", "/dev/sdy", "/dev/nvme9n1"});
  }
}

TEST_CASE("describe_disk: model or kind, size, what is on it") {
  const target::Layout layout;
  disk::Disk d = block("/dev/sdx");
  d.device.model = "Samsung SSD 860";
  CHECK(flow::describe_disk(d, layout) == "Samsung SSD 860, 4.0 GiB, empty");

  d.status = disk::DiskStatus::ok;
  d.table.type = "gpt";
  d.table.partitions.resize(2);
  CHECK(flow::describe_disk(d, layout) == "Samsung SSD 860, 4.0 GiB, GPT, 2 partitions");
  d.table.partitions[0].fs.outcome = disk::ProbeOutcome::found;
  d.table.partitions[0].fs.label = layout.label;
  CHECK(flow::describe_disk(d, layout) == "Samsung SSD 860, 4.0 GiB, kvm-rescue data disk");
  // A disk prepared before the data label changed.
  d.table.partitions[0].fs.type = "xfs";
  d.table.partitions[0].fs.label = "KVMRESCUE";
  CHECK(flow::describe_disk(d, layout) == "Samsung SSD 860, 4.0 GiB, kvm-rescue data disk");
  d.table.partitions[0].fs.type = "iso9660"; // the rescue medium is not one
  CHECK(flow::describe_disk(d, layout) == "Samsung SSD 860, 4.0 GiB, GPT, 2 partitions");

  disk::Disk img;
  img.path = "/srv/new.img";
  img.status = disk::DiskStatus::ok;
  img.size = 20 * kGiB;
  img.table.type = "dos";
  img.table.partitions.resize(1);
  CHECK(flow::describe_disk(img, layout) == "disk image, 20 GiB, MBR, 1 partition");

  disk::Disk bad = block("/dev/sdz");
  bad.status = disk::DiskStatus::error;
  bad.error = "I/O error";
  CHECK(flow::describe_disk(bad, layout) == "disk, 4.0 GiB, unreadable: I/O error");
}

TEST_CASE("boot_disks: the whole disk under / as sysfs tells, nothing for other mounts" *
          doctest::test_suite("host")) {
  const auto mounts = target::read_mountinfo();
  const auto root = std::find_if(mounts.rbegin(), mounts.rend(),
                                 [](const target::MountEntry &m) { return m.mount_point == "/"; });
  REQUIRE(root != mounts.rend());
  KVMR_SKIP_UNLESS(on_block_device(*root), "/ is not on a block device here");
  KVMR_SKIP_UNLESS(test::have("lsblk"), "lsblk not installed (util-linux)");
  const std::string name = target::block_name(root->major, root->minor);
  REQUIRE(!name.empty());
  // lsblk's answer: the top of the chain from / down to a whole disk.
  const std::string expected = trimmed(test::sh_out("lsblk -s -n -r -o NAME,TYPE /dev/" + name +
                                                    " | awk '$2==\"disk\"{print \"/dev/\"$1}' | "
                                                    "sort -u | head -1"));
  REQUIRE(!expected.empty());
  const auto got = flow::boot_disks({*root});
  INFO(joined(got));
  CHECK(std::find(got.begin(), got.end(), expected) != got.end());

  target::MountEntry elsewhere = *root;
  elsewhere.mount_point = "/mnt/kvmr-not-boot";
  CHECK(flow::boot_disks({elsewhere}).empty());
  target::MountEntry live = *root;
  live.mount_point = "/run/live/medium";
  CHECK(flow::boot_disks({live}) == got);
}

TEST_CASE("mounted_data_dirs: data filesystems a user mounted, not /boot, ours or the boot disk" *
          doctest::test_suite("host")) {
  const auto entry = [](unsigned major, unsigned minor, const std::string &mp,
                        const std::string &fs) {
    target::MountEntry m;
    m.major = major;
    m.minor = minor;
    m.mount_point = mp;
    m.fs_type = fs;
    return m;
  };
  // 259:4000 names no block device here: not on the boot disk.
  const std::vector<target::MountEntry> mounts = {entry(0, 50, "/mnt/tmp", "tmpfs"),
                                                  entry(259, 4000, "/mnt/new", "xfs"),
                                                  entry(259, 4001, "/boot", "xfs"),
                                                  entry(259, 4002, "/boot/efi", "xfs"),
                                                  entry(259, 4003, "/run/kvm-rescue/t", "xfs"),
                                                  entry(259, 4000, "/mnt/new", "xfs"),
                                                  entry(259, 4004, "/srv/data", "ext4"),
                                                  entry(259, 4005, "/media/usb", "vfat"),
                                                  entry(259, 4006, "/", "ext4")};
  CHECK(flow::mounted_data_dirs(mounts, {}) == std::vector<std::string>{"/mnt/new", "/srv/data"});

  // A filesystem on the disk the system booted from is never offered.
  const auto real = target::read_mountinfo();
  const auto root = std::find_if(real.rbegin(), real.rend(),
                                 [](const target::MountEntry &m) { return m.mount_point == "/"; });
  REQUIRE(root != real.rend());
  KVMR_SKIP_UNLESS(on_block_device(*root), "/ is not on a block device here (boot-disk part)");
  const auto boot = flow::boot_disks({*root});
  REQUIRE(!boot.empty());
  target::MountEntry on_boot = *root;
  on_boot.mount_point = "/srv/on-boot-disk";
  on_boot.fs_type = "xfs";
  CHECK(flow::mounted_data_dirs({on_boot}, boot).empty());
  CHECK(flow::mounted_data_dirs({on_boot}, {}) == std::vector<std::string>{"/srv/on-boot-disk"});
}

TEST_CASE("target_candidates: a loop device named explicitly is offered, a source refused" *
          doctest::test_suite("root")) {
  if (!test::loop_and_mount_or_skip()) {
    return;
  }
  const test::WorkDir w;
  const std::string source = w / "source.img";
  test::make_source_image(source, w.path());
  const disk::Disk src = test::probe(source);
  test::sh("truncate -s 2G '" + (w / "new.img") + "' && truncate -s 1G '" + (w / "other.img") +
           "'");
  const test::TestLoop target_loop(w / "new.img");
  const test::TestLoop other_loop(w / "other.img");
  const std::string dir = w / "mnt";
  std::filesystem::create_directories(dir);
  const test::TmpfsMount tmpfs(dir, "64m");

  const std::vector<disk::Disk> all = {test::probe(other_loop.dev()),
                                       test::probe(target_loop.dev()), src};
  const target::Layout layout;
  const auto c =
      flow::target_candidates(all, {target_loop.dev(), source, dir}, {src}, kGiB, layout);
  std::vector<std::string> paths;
  paths.reserve(c.size());
  for (const auto &x : c) {
    paths.push_back(x.path);
  }
  INFO(joined(paths));
  // The named paths come first. After them come the data filesystems this
  // machine has mounted elsewhere, if any (offered too); never the other
  // loop device, which is not named.
  REQUIRE(paths.size() >= 3);
  REQUIRE(std::vector<std::string>(paths.begin(), paths.begin() + 3) ==
          std::vector<std::string>{target_loop.dev(), source, dir});
  CHECK(std::ranges::find(paths, other_loop.dev()) == paths.end());

  INFO(joined(c[0].refusals));
  CHECK(c[0].refusals.empty());
  CHECK_FALSE(c[0].is_directory);
  CHECK(c[0].description == "disk image, 2.0 GiB, empty");
  CHECK(c[0].capacity == target::data_capacity(2 * kGiB, 512, layout));

  INFO(joined(c[1].refusals));
  CHECK(any_contains(c[1].refusals, source + " is the source disk " + source));
  CHECK(c[1].description.find("GPT, 1 partition") != std::string::npos);

  CHECK(c[2].is_directory);
  CHECK(c[2].description.rfind("directory on tmpfs", 0) == 0);
  CHECK(c[2].capacity > 0);
  CHECK(c[2].capacity <= 64U << 20U);
  INFO(joined(c[2].refusals));
  CHECK(any_contains(c[2].refusals, "is too small"));
}

} // namespace kvmr

TEST_CASE("a prepared target's data label is never the rescue medium's") {
  // The EL medium boots with root=live:CDLABEL=KVMRESCUE: a data disk with
  // that label, attached when the stick is booted again to resume, could
  // be taken for the medium.
  CHECK(kvmr::target::Layout{}.label != kvmr::kRescueMediumLabel);
  CHECK(kvmr::plan::PlanTarget{}.label == kvmr::target::Layout{}.label);
  CHECK(kvmr::target::Layout{}.label.size() <= 12); // mkfs.xfs -L takes at most 12
}
