// prepare_target on a 2 GiB sparse image: the GPT (sfdisk --json), the
// filesystems at their offsets (blkid -p -O), the EL7 XFS feature set
// (xfs_db), mounting it privately and leaving nothing behind, OEMDRV
// files through mtools, and the refusals that must leave the image alone.
#include "rescue/disk/fat.hpp"
#include "rescue/target/target.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/target/target_fixture.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <fstream>

using namespace kvmr;         // NOLINT(google-build-using-namespace)
using namespace kvmr::target; // NOLINT(google-build-using-namespace)

namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30U;

std::string blkid_at(const std::string &img, std::uint64_t offset, const std::string &tag) {
  std::string v = test::sh_out("blkid -p -O " + std::to_string(offset) + " -s " + tag +
                               " -o value '" + img + "'");
  while (!v.empty() && v.back() == '\n') {
    v.pop_back();
  }
  return v;
}

bool contains(const std::string &hay, const std::string &needle) {
  return hay.find(needle) != std::string::npos;
}

std::string lower(std::string s) {
  for (auto &c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

} // namespace

TEST_CASE("confirm-wipe must repeat the path; the image stays unchanged") {
  const test::WorkDir w;
  const std::string img = w / "t.img";
  test::sh("truncate -s 2G " + img + " && printf 'old data' | dd of=" + img +
           " conv=notrunc status=none");
  const std::string before = test::sparse_digest(img);
  for (const std::string &confirm : {std::string{}, w / "other.img", img + "/"}) {
    try {
      (void)prepare_target(img, confirm, {}, 1, Layout{});
      FAIL("prepare_target went on with --confirm-wipe=" << confirm);
    } catch (const InputError &e) {
      CHECK(contains(e.what(), "--confirm-wipe=" + img));
    }
  }
  CHECK(test::sparse_digest(img) == before);
}

TEST_CASE("a copy of a source is refused by prepare_target and stays unchanged" *
          doctest::test_suite("tools")) {
  KVMR_SKIP_UNLESS(test::have("sfdisk") && test::have("mkfs.xfs"),
                   "sfdisk or mkfs.xfs not installed (scripts/setup installs them)");
  const test::WorkDir w;
  test::make_source_image(w / "source.img", w.path());
  test::sh("cp --sparse=always " + (w / "source.img") + " " + (w / "copy.img") +
           " && truncate -s 2G " + (w / "copy.img"));
  const std::string before = test::sparse_digest(w / "copy.img");
  const auto src = test::probe(w / "source.img");
  try {
    (void)prepare_target(w / "copy.img", w / "copy.img", {src}, 1, Layout{});
    FAIL("a copy of the source was prepared");
  } catch (const InputError &e) {
    CHECK(contains(e.what(), "carries filesystem UUID " + std::string(test::kSourceXfsUuid)));
  }
  CHECK(test::sparse_digest(w / "copy.img") == before);
}

TEST_CASE("prepare a 2 GiB sparse image, mount it, write OEMDRV files" *
          doctest::test_suite("root")) {
  if (!test::loop_and_mount_or_skip()) {
    return;
  }
  const test::WorkDir w;
  const std::string img = w / "target.img";
  test::sh("truncate -s 2G " + img);
  const std::string blank = test::sparse_digest(img);
  const PreparedTarget p = prepare_target(img, img, {}, kGiB, Layout{});
  CHECK(test::sh_out("losetup -j '" + img + "'").empty());
  CHECK(test::sparse_digest(img) != blank); // the digest of the other tests sees writes

  // The GPT as sfdisk reads it.
  const auto j = nlohmann::json::parse(test::sh_out("sfdisk --json '" + img + "'"));
  const auto &pt = j.at("partitiontable");
  CHECK(pt.at("label") == "gpt");
  REQUIRE(pt.at("partitions").size() == 2);
  const auto &p1 = pt.at("partitions")[0];
  const auto &p2 = pt.at("partitions")[1];
  CHECK(p1.at("name") == "kvm-rescue-data");
  CHECK(p1.at("type") == "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
  CHECK(p1.at("start").get<std::uint64_t>() * 512 == p.data_offset);
  CHECK(p1.at("size").get<std::uint64_t>() * 512 == p.data_size);
  CHECK(lower(p1.at("uuid").get<std::string>()) == p.data_partuuid);
  CHECK(lower(p2.at("uuid").get<std::string>()) == p.oemdrv_partuuid);
  CHECK(p2.at("name") == "OEMDRV");
  CHECK(p2.at("type") == "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
  CHECK(p2.at("start").get<std::uint64_t>() * 512 == p.oemdrv_offset);
  CHECK(p.data_offset == 1ULL << 20U);
  CHECK(p.oemdrv_offset % (1ULL << 20U) == 0);
  CHECK(p.oemdrv_size == 64ULL << 20U);

  // The filesystems at their offsets.
  CHECK(blkid_at(img, p.data_offset, "TYPE") == "xfs");
  // Not the rescue medium's label: dracut's root=live:CDLABEL=KVMRESCUE
  // (the EL medium) could boot from the prepared disk instead.
  CHECK(blkid_at(img, p.data_offset, "LABEL") == "KVMR-IMAGES");
  CHECK(blkid_at(img, p.data_offset, "UUID") == p.data_fs_uuid);
  CHECK(blkid_at(img, p.oemdrv_offset, "TYPE") == "vfat");
  CHECK(blkid_at(img, p.oemdrv_offset, "LABEL") == "OEMDRV");
  CHECK(blkid_at(img, p.oemdrv_offset, "UUID") == p.oemdrv_fs_uuid);

  // The EL7 feature set, read by xfs_db through a read-only loop.
  {
    const std::string info =
        test::sh_out("d=$(losetup --show -r -f -o " + std::to_string(p.data_offset) +
                     " --sizelimit " + std::to_string(p.data_size) + " '" + img +
                     "'); trap 'losetup -d $d' EXIT; xfs_db -r -c version -c 'sb 0' -c "
                     "'p features_incompat features_ro_compat' \"$d\"; xfs_info \"$d\"");
    INFO(info);
    CHECK(contains(info, "CRC"));
    CHECK(contains(info, "FTYPE"));
    CHECK(!contains(info, "FINOBT"));
    CHECK(!contains(info, "REFLINK"));
    CHECK(!contains(info, "RMAPBT"));
    CHECK(!contains(info, "BIGTIME"));
    CHECK(!contains(info, "INOBTCNT"));
    CHECK(!contains(info, "SPARSE_INODES"));
    CHECK(contains(info, "finobt=0"));
    CHECK(contains(info, "sparse=0"));
    CHECK(contains(info, "rmapbt=0"));
    CHECK(contains(info, "reflink=0"));
    CHECK(contains(info, "bigtime=0"));
    CHECK(contains(info, "inobtcount=0"));
  }

  // Preparing it again is refused: it is no source, but mounted it is in use.
  const std::string run_dir = w / "run";
  {
    const auto m = TargetMount::mount_prepared(p, run_dir);
    CHECK(contains(m->root(), run_dir + "/target-"));
    std::ofstream(m->root() + "/hello.txt") << "written through the target mount\n";
    const TargetInfo busy = inspect_target(img);
    REQUIRE(busy.in_use.size() == 1);
    CHECK(contains(busy.in_use[0], "(mounted on " + m->root() + ")"));
    CHECK_THROWS_AS((void)prepare_target(img, img, {}, 1, Layout{}), InputError);
  }
  CHECK(test::leftovers(img, w.path()).empty());
  CHECK(std::filesystem::is_empty(run_dir));
  {
    const auto m = TargetMount::mount_prepared(p, run_dir);
    std::ifstream in(m->root() + "/hello.txt");
    std::string line;
    std::getline(in, line);
    CHECK(line == "written through the target mount");
  }
  // An exception while mounted still unmounts and detaches.
  try {
    const auto m = TargetMount::mount_prepared(p, run_dir);
    CHECK(!m->root().empty());
    throw std::runtime_error("boom");
  } catch (const std::runtime_error &) {
  }
  CHECK(test::leftovers(img, w.path()).empty());

  // OEMDRV: written, replaced, read back with mtype and the project's FAT reader.
  const std::string ks = "# kickstart\nlang en_US.UTF-8\n";
  write_oemdrv_file(img, p.oemdrv_offset, "ks.cfg", "old\n");
  write_oemdrv_file(img, p.oemdrv_offset, "ks.cfg", ks);
  const std::string at = img + "@@" + std::to_string(p.oemdrv_offset);
  CHECK(test::sh_out("MTOOLS_SKIP_CHECK=1 mtype -i '" + at + "' ::/ks.cfg") == ks);
  const std::string listing = test::sh_out("MTOOLS_SKIP_CHECK=1 mdir -b -i '" + at + "' ::/");
  CHECK(!contains(listing, "partial"));
  {
    UniqueFd fd = open_read_only(img);
    const disk::fat::FatVolume vol(fd.get(), img, p.oemdrv_offset, p.oemdrv_size);
    CHECK(vol.geometry().label == "OEMDRV");
    const auto bytes = vol.read_file("/ks.cfg", 1 << 20);
    CHECK(std::string(reinterpret_cast<const char *>(bytes.data()), bytes.size()) == ks);
    CHECK(!vol.exists("/ks.cfg.partial"));
  }
  CHECK_THROWS_AS(write_oemdrv_file(img, p.oemdrv_offset, "../ks.cfg", ks), InputError);
}

TEST_CASE("ext4 on request, without features CentOS 7 cannot read" * doctest::test_suite("root")) {
  if (!test::loop_and_mount_or_skip()) {
    return;
  }
  KVMR_SKIP_UNLESS(test::have("dumpe2fs"),
                   "dumpe2fs not installed (scripts/setup installs e2fsprogs)");
  const test::WorkDir w;
  const std::string img = w / "ext4.img";
  test::sh("truncate -s 1G " + img);
  Layout l;
  l.fs_type = "ext4";
  l.oemdrv = false;
  const PreparedTarget p = prepare_target(img, img, {}, 1, l);
  CHECK(p.oemdrv_offset == 0);
  CHECK(blkid_at(img, p.data_offset, "TYPE") == "ext4");
  const std::string feats =
      test::sh_out("d=$(losetup --show -r -f -o " + std::to_string(p.data_offset) + " '" + img +
                   "'); trap 'losetup -d $d' EXIT; dumpe2fs -h \"$d\" 2>/dev/null | grep -i "
                   "'features'");
  INFO(feats);
  CHECK(!contains(feats, "metadata_csum"));
  CHECK(!contains(feats, "orphan_file"));
  CHECK(contains(feats, "uninit_bg"));
  const auto m = TargetMount::mount_prepared(p, w / "run");
  CHECK(std::filesystem::exists(m->root() + "/lost+found"));
}

TEST_CASE("a run killed while the target is mounted is cleaned up by the next" *
          doctest::test_suite("root")) {
  if (!test::loop_and_mount_or_skip()) {
    return;
  }
  const test::WorkDir w;
  const std::string img = w / "target.img";
  test::sh("truncate -s 1G " + img);
  Layout l;
  l.oemdrv = false;
  const PreparedTarget p = prepare_target(img, img, {}, 1, l);
  const std::string run_dir = w / "run";
  std::array<int, 2> pipe_fds{};
  REQUIRE(::pipe(pipe_fds.data()) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      const auto m = TargetMount::mount_prepared(p, run_dir);
      (void)!::write(pipe_fds[1], "m", 1);
      ::pause();
    } catch (...) {
    }
    ::_exit(1);
  }
  ::close(pipe_fds[1]);
  char c = 0;
  const bool mounted = ::read(pipe_fds[0], &c, 1) == 1;
  ::close(pipe_fds[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(mounted);
  CHECK(!test::leftovers(img, w.path()).empty()); // the killed run left its mount
  {
    const auto m = TargetMount::mount_prepared(p, run_dir); // reaps the dead run first
  }
  CHECK(test::leftovers(img, w.path()).empty());
  CHECK(std::filesystem::is_empty(run_dir));
}

namespace {

// The system's tools, except that mkfs.xfs fails.
class FailingMkfs final : public CommandRunner {
public:
  CommandResult run(const std::vector<std::string> &argv,
                    std::chrono::milliseconds timeout) override {
    if (!argv.empty() && argv[0] == "mkfs.xfs") {
      seen_loop = argv.back();
      CommandResult r;
      r.exit_code = 1;
      r.err = "injected failure\n";
      return r;
    }
    return system.run(argv, timeout);
  }
  std::string seen_loop;

private:
  SystemCommandRunner system;
};

} // namespace

TEST_CASE("mkfs failing mid-way: partly prepared, no loop device left" *
          doctest::test_suite("root")) {
  if (!test::loop_and_mount_or_skip()) {
    return;
  }
  const test::WorkDir w;
  const std::string img = w / "t.img";
  test::sh("truncate -s 1G " + img);
  FailingMkfs runner;
  try {
    (void)prepare_target(img, img, {}, 1, Layout{}, &runner);
    FAIL("prepare_target ignored a failing mkfs");
  } catch (const InputError &e) {
    const std::string msg = e.what();
    CHECK(contains(msg, "mkfs.xfs failed (exit 1): injected failure"));
    CHECK(contains(msg, img + " is now partly prepared (failed while making the data filesystem)"));
  }
  CHECK(contains(runner.seen_loop, "/dev/loop"));
  CHECK(test::leftovers(img, w.path()).empty());
}
