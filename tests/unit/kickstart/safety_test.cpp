// check_safety on hand-written kickstarts: each way a data disk could fall
// into the installer's wiping scope is caught and named.
#include "kickstart/safety.hpp"

#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)

namespace {

const std::string kSafe =
    R"(ignoredisk --only-use=disk/by-id/ata-NEW_SSD_S123,disk/by-id/ata-DATA_HDD_W456
clearpart --all --initlabel --drives=disk/by-id/ata-NEW_SSD_S123
part /boot --fstype=xfs --size=1024 --ondisk=disk/by-id/ata-NEW_SSD_S123
part pv.1 --size=1 --grow --ondisk=disk/by-id/ata-NEW_SSD_S123
volgroup vg pv.1
logvol / --vgname=vg --name=root --size=1 --grow
part /var/lib/libvirt/images --onpart=disk/by-id/ata-DATA_HDD_W456-part1 --noformat
%post
clearpart --all
zerombr
%end
)";

std::string problems_of(const std::string &ks) {
  std::string all;
  for (const auto &p : check_safety(ks, test::story_profile(Dialect::el7))) {
    all += p + "\n";
  }
  return all;
}

std::string replace(std::string s, const std::string &from, const std::string &to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

} // namespace

TEST_CASE("the safe layout passes; lines inside %post are not commands") {
  CHECK(problems_of(kSafe).empty());
}

TEST_CASE("each unsafe line is caught") {
  const std::string data = "disk/by-id/ata-DATA_HDD_W456";
  SUBCASE("clearpart without --drives") {
    CHECK(problems_of(replace(kSafe, "--drives=disk/by-id/ata-NEW_SSD_S123", ""))
              .find("without --drives") != std::string::npos);
  }
  SUBCASE("clearpart naming the data disk, also through /dev/") {
    CHECK(problems_of(replace(kSafe, "--drives=disk/by-id/ata-NEW_SSD_S123",
                              "--drives=disk/by-id/ata-NEW_SSD_S123,/dev/" + data))
              .find("holds rescued data") != std::string::npos);
  }
  SUBCASE("zerombr") {
    CHECK(problems_of("zerombr\n" + kSafe).find("zerombr") != std::string::npos);
  }
  SUBCASE("autopart") {
    CHECK(problems_of("autopart\n" + kSafe).find("autopart") != std::string::npos);
  }
  SUBCASE("formatting the data partition") {
    CHECK(problems_of(replace(kSafe, "-part1 --noformat", "-part1 --fstype=xfs"))
              .find("on a data disk") != std::string::npos);
  }
  SUBCASE("a partition on the data disk") {
    CHECK(problems_of(replace(kSafe, "--size=1024 --ondisk=disk/by-id/ata-NEW_SSD_S123",
                              "--size=1024 --ondisk=" + data))
              .find("part /boot") != std::string::npos);
  }
  SUBCASE("a partition with no disk named") {
    CHECK(problems_of(
              replace(kSafe, "--size=1024 --ondisk=disk/by-id/ata-NEW_SSD_S123", "--size=1024"))
              .find("names no disk") != std::string::npos);
  }
  SUBCASE("a logical volume in a VG with a PV on the data disk") {
    CHECK(problems_of(replace(kSafe, "--grow --ondisk=disk/by-id/ata-NEW_SSD_S123",
                              "--grow --ondisk=" + data))
              .find("logvol /") != std::string::npos);
  }
  SUBCASE("no ignoredisk") {
    CHECK(problems_of(replace(kSafe,
                              "ignoredisk --only-use=disk/by-id/ata-NEW_SSD_S123,"
                              "disk/by-id/ata-DATA_HDD_W456\n",
                              ""))
              .find("only-use") != std::string::npos);
  }
  SUBCASE("%include hides lines") {
    CHECK(problems_of(kSafe + "%include /tmp/part.ks\n").find("%include") != std::string::npos);
  }
}

namespace {

// The data on the existing LV vm_images of VG vg-data over W456 and X789.
const std::string kSafeLvm =
    R"(ignoredisk --only-use=disk/by-id/ata-NEW_SSD_S123,disk/by-id/ata-DATA_HDD_W456,disk/by-id/ata-DATA_HDD_X789
clearpart --all --initlabel --drives=disk/by-id/ata-NEW_SSD_S123
part pv.1 --size=1 --grow --ondisk=disk/by-id/ata-NEW_SSD_S123
volgroup vg pv.1
logvol / --vgname=vg --name=root --size=1 --grow
volgroup vg-data --noformat --useexisting
logvol /var/lib/libvirt/images --vgname=vg-data --name=vm_images --noformat --useexisting
)";

// The data on the existing md array "data" over W456 and X789.
const std::string kSafeMd =
    R"(ignoredisk --only-use=disk/by-id/ata-NEW_SSD_S123,disk/by-id/ata-DATA_HDD_W456,disk/by-id/ata-DATA_HDD_X789
clearpart --all --initlabel --drives=disk/by-id/ata-NEW_SSD_S123
part / --size=1 --grow --ondisk=disk/by-id/ata-NEW_SSD_S123
raid /var/lib/libvirt/images --device=data --noformat --useexisting
)";

std::string problems_with(const std::string &ks, const Profile &p) {
  std::string all;
  for (const auto &x : check_safety(ks, p)) {
    all += x + "\n";
  }
  return all;
}

} // namespace

TEST_CASE("an existing data VG: only --noformat keeps it") {
  const Profile p = test::lvm_profile(Dialect::el8);
  CHECK(problems_with(kSafeLvm, p).empty());
  SUBCASE("logvol in the data VG with --useexisting only (pykickstart: reformat)") {
    CHECK(problems_with(replace(kSafeLvm, "--name=vm_images --noformat --useexisting",
                                "--name=vm_images --useexisting"),
                        p)
              .find("logvol /var/lib/libvirt/images without --noformat") != std::string::npos);
  }
  SUBCASE("a new logvol in the data VG") {
    CHECK(problems_with(kSafeLvm + "logvol /srv --vgname=vg-data --name=srv --size=100\n", p)
              .find("logvol /srv without --noformat") != std::string::npos);
  }
  SUBCASE("the data VG made anew") {
    CHECK(problems_with(replace(kSafeLvm, "volgroup vg-data --noformat --useexisting",
                                "volgroup vg-data pv.1"),
                        p)
              .find("volgroup vg-data without --noformat") != std::string::npos);
    CHECK(problems_with(replace(kSafeLvm, "volgroup vg-data --noformat --useexisting",
                                "volgroup vg-data --useexisting"),
                        p)
              .find("volgroup vg-data without --noformat") != std::string::npos);
  }
  SUBCASE("clearpart naming the second PV's disk") {
    CHECK(problems_with(replace(kSafeLvm, "--drives=disk/by-id/ata-NEW_SSD_S123",
                                "--drives=disk/by-id/ata-NEW_SSD_S123,"
                                "disk/by-id/ata-DATA_HDD_X789"),
                        p)
              .find("clearpart --drives names disk/by-id/ata-DATA_HDD_X789") != std::string::npos);
  }
  SUBCASE("a partition on the second PV's disk") {
    CHECK(
        problems_with(kSafeLvm + "part /srv --size=100 --ondisk=disk/by-id/ata-DATA_HDD_X789\n", p)
            .find("part /srv would create or format") != std::string::npos);
  }
}

TEST_CASE("an existing data md array: only --noformat keeps it") {
  const Profile p = test::md_profile(Dialect::el9);
  CHECK(problems_with(kSafeMd, p).empty());
  SUBCASE("raid --useexisting without --noformat (pykickstart: reformat)") {
    CHECK(problems_with(replace(kSafeMd, "--device=data --noformat --useexisting",
                                "--device=data --useexisting"),
                        p)
              .find("raid /var/lib/libvirt/images without --noformat") != std::string::npos);
  }
  SUBCASE("the array named as md/data, made anew") {
    CHECK(problems_with(replace(kSafeMd, "--device=data --noformat --useexisting",
                                "--device=md/data --level=1 raid.1 raid.2"),
                        p)
              .find("md array md/data") != std::string::npos);
  }
  SUBCASE("clearpart naming a member disk") {
    CHECK(problems_with(replace(kSafeMd, "--drives=disk/by-id/ata-NEW_SSD_S123",
                                "--drives=disk/by-id/ata-DATA_HDD_X789"),
                        p)
              .find("holds rescued data") != std::string::npos);
  }
}
