// The rendered kickstart per dialect: what each line says, what differs
// between EL7, EL8 and EL9, and pykickstart's verdict where it is at hand.
#include "kickstart/render.hpp"

#include "kickstart/safety.hpp"
#include "rescue/util/error.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
using kvmr::InputError;

namespace {

bool has_line(const std::string &ks, const std::string &line) {
  return ("\n" + ks).find("\n" + line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("EL7: only the OS disk is cleared; the data disk is mounted unformatted") {
  const std::string ks = render(test::story_profile(Dialect::el7), {});
  CHECK(has_line(ks, "install"));
  CHECK(has_line(ks, "cdrom"));
  CHECK(has_line(ks, "ignoredisk --only-use=disk/by-id/ata-NEW_SSD_S123,"
                     "disk/by-id/ata-DATA_HDD_W456"));
  CHECK(has_line(ks, "clearpart --all --initlabel --drives=disk/by-id/ata-NEW_SSD_S123"));
  CHECK(has_line(ks, "part /var/lib/libvirt/images --onpart=disk/by-id/ata-DATA_HDD_W456-part1 "
                     "--noformat"));
  CHECK(has_line(ks, "timezone Asia/Tokyo --isUtc"));
  CHECK(has_line(ks, "keyboard --vckeymap=jp106 --xlayouts=jp"));
  CHECK(has_line(ks, "network --device=br0 --bridgeslaves=enp3s0 --bootproto=static "
                     "--ip=192.168.10.20 --netmask=255.255.255.0 --gateway=192.168.10.1 "
                     "--nameserver=192.168.10.1,8.8.8.8 --onboot=yes --activate"));
  CHECK(has_line(ks, "network --hostname=kvmhost01.example.jp"));
  CHECK(has_line(ks, "rootpw --iscrypted " + test::story_profile(Dialect::el7).root_hash));
  CHECK(has_line(ks, "auth --enableshadow --passalgo=sha512"));
  CHECK(has_line(ks, "@^virtualization-host-environment"));
  CHECK(has_line(ks, "OVMF"));
  CHECK(has_line(ks, "systemctl enable libvirtd.service"));
  CHECK(ks.find("zerombr") == std::string::npos);
  CHECK(ks.find("autopart") == std::string::npos);
  CHECK(check_safety(ks, test::story_profile(Dialect::el7)).empty());
}

TEST_CASE("EL8 and EL9 differ where their installers do") {
  const std::string el8 = render(test::story_profile(Dialect::el8), {});
  const std::string el9 = render(test::story_profile(Dialect::el9), {});
  for (const auto *ks : {&el8, &el9}) {
    CHECK_FALSE(has_line(*ks, "install"));
    CHECK(ks->find("auth --") == std::string::npos);
    CHECK(has_line(*ks, "timezone Asia/Tokyo --utc"));
    CHECK(has_line(*ks, "edk2-ovmf"));
  }
  CHECK(has_line(el8, "systemctl enable libvirtd.service"));
  CHECK(el9.find("systemctl enable virtqemud.socket") != std::string::npos);
  CHECK(el9.find("libvirtd.service") == std::string::npos);
}

TEST_CASE("values are quoted for pykickstart's shell-like split") {
  CHECK(ks_quote("br0") == "br0");
  CHECK(ks_quote("ssh-ed25519 AAAA key") == "\"ssh-ed25519 AAAA key\"");
  CHECK(ks_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(split_ks_line("sshkey --username=root \"ssh-ed25519 AAAA a\\\"b\"") ==
        std::vector<std::string>{"sshkey", "--username=root", "ssh-ed25519 AAAA a\"b"});
}

TEST_CASE("an incomplete profile is refused with what to give") {
  auto p = test::story_profile(Dialect::el7);
  p.os_disk.clear();
  CHECK_THROWS_WITH_AS(render(p, {}), doctest::Contains("--os-disk"), InputError);
  p = test::story_profile(Dialect::el7);
  p.hostname = "shop \"test\" $(touch /tmp/pwned)";
  CHECK_THROWS_WITH_AS(render(p, {}), doctest::Contains("is not valid"), InputError);
  p = test::story_profile(Dialect::el7);
  p.root = RootPolicy::hash;
  p.root_hash.clear();
  CHECK_THROWS_AS(render(p, {}), InputError);
  CHECK(valid_hostname("kvmhost01.example.jp"));
  CHECK_FALSE(valid_hostname("-bad.example"));
  CHECK_FALSE(valid_hostname("a..b"));
  CHECK_FALSE(valid_hostname(std::string(64, 'a')));
}

TEST_CASE("a profile whose OS disk is the data disk is refused, not rendered") {
  auto p = test::story_profile(Dialect::el7);
  p.os_disk = "disk/by-id/ata-DATA_HDD_W456";
  CHECK_THROWS_WITH_AS(render(p, {}), doctest::Contains("holds rescued data"), InputError);
}

TEST_CASE("swap: --recommended without the OS disk's size, sized from it otherwise") {
  auto p = test::story_profile(Dialect::el8);
  CHECK(render(p, {}).find("logvol swap --vgname=kvmhost --name=swap --recommended\n") !=
        std::string::npos);
  p.os_disk_bytes = std::uint64_t{240} * 1000 * 1000 * 1000;
  CHECK(render(p, {}).find("logvol swap --vgname=kvmhost --name=swap --size=7152\n") !=
        std::string::npos);
  p.network.push_back({});
  p.network.back().device = "52:54:00:99:99:99";
  CHECK(render(p, {}).find("network --device=52:54:00:99:99:99 --bootproto=dhcp") !=
        std::string::npos);
}

TEST_CASE("pykickstart's ksvalidator accepts every dialect's kickstart" *
          doctest::test_suite("host")) {
  const std::string validator = test::ksvalidator();
  KVMR_SKIP_UNLESS(!validator.empty(),
                   "pykickstart's ksvalidator is not installed (Debian does not package it); "
                   "set KVMR_KSVALIDATOR to a command that runs it to check the kickstarts");
  for (const Dialect d : {Dialect::el7, Dialect::el8, Dialect::el9}) {
    for (const DataKind kind : {DataKind::partition, DataKind::lvm, DataKind::md}) {
      const std::string path =
          "ks-validate-" + std::string(to_string(d)) + "-" + to_string(kind) + ".cfg";
      // Also a NIC named by its MAC and swap sized from a 240 GB OS disk.
      Profile p = kind == DataKind::lvm  ? test::lvm_profile(d)
                  : kind == DataKind::md ? test::md_profile(d)
                                         : test::story_profile(d);
      NetDevice by_mac;
      by_mac.device = "52:54:00:99:99:99";
      p.network.push_back(by_mac);
      p.os_disk_bytes = std::uint64_t{240} * 1000 * 1000 * 1000;
      std::ofstream(path) << render(p, {});
      std::string cmd = validator;
      cmd += std::string(" -e -v ") + ksvalidator_version(d) + " " + path;
      const auto r = test::sh(cmd);
      std::string what = path + ": ";
      what += r.out;
      INFO(what);
      CHECK(r.status == 0);
      ::unlink(path.c_str());
    }
  }
}

TEST_CASE("an existing LV over two disks: volgroup and logvol --noformat, both disks kept") {
  for (const Dialect d : {Dialect::el7, Dialect::el8, Dialect::el9}) {
    const Profile p = test::lvm_profile(d);
    const std::string ks = render(p, {});
    CHECK(has_line(ks, "ignoredisk --only-use=disk/by-id/ata-NEW_SSD_S123,"
                       "disk/by-id/ata-DATA_HDD_W456,disk/by-id/ata-DATA_HDD_X789"));
    CHECK(has_line(ks, "clearpart --all --initlabel --drives=disk/by-id/ata-NEW_SSD_S123"));
    CHECK(has_line(ks, "volgroup vg-data --noformat --useexisting"));
    CHECK(has_line(ks, "logvol /var/lib/libvirt/images --vgname=vg-data --name=vm_images "
                       "--noformat --useexisting"));
    CHECK(ks.find("--onpart") == std::string::npos);
    CHECK(test::structure_problems(ks, p).empty());
  }
}

TEST_CASE("an existing md array: raid --noformat, every member disk kept") {
  const Profile p = test::md_profile(Dialect::el9);
  const std::string ks = render(p, {});
  CHECK(has_line(ks, "ignoredisk --only-use=disk/by-id/ata-NEW_SSD_S123,"
                     "disk/by-id/ata-DATA_HDD_W456,disk/by-id/ata-DATA_HDD_X789"));
  CHECK(has_line(ks, "raid /var/lib/libvirt/images --device=data --noformat --useexisting"));
  CHECK(ks.find("--onpart") == std::string::npos);
  CHECK(test::structure_problems(ks, p).empty());
}

TEST_CASE("names from the old disk in volgroup/logvol/raid are quoted") {
  Profile p = test::lvm_profile(Dialect::el8);
  p.data_disks.front().vg = "vg \"x\"";
  const std::string ks = render(p, {});
  CHECK(has_line(ks, R"(volgroup "vg \"x\"" --noformat --useexisting)"));
  Profile m = test::md_profile(Dialect::el8);
  m.data_disks.front().md = "host:da ta";
  CHECK(has_line(render(m, {}), R"(raid /var/lib/libvirt/images --device="host:da ta" )"
                                R"(--noformat --useexisting)"));
}

TEST_CASE("the test checker catches a broken layout") {
  const Profile p = test::lvm_profile(Dialect::el9);
  const std::string ks = render(p, {});
  auto replaced = [&](const std::string &from, const std::string &to) {
    std::string s = ks;
    const auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    return s.replace(pos, from.size(), to);
  };
  auto problems = [&](const std::string &text) {
    std::string all;
    for (const auto &x : test::structure_problems(text, p)) {
      all += x + "\n";
    }
    return all;
  };
  CHECK(problems(replaced("volgroup kvmhost pv.kvmr01", "volgroup kvmhost pv.kvmr02"))
            .find("no part defines") != std::string::npos);
  CHECK(problems(replaced("--vgname=kvmhost --name=root", "--vgname=other --name=root"))
            .find("names no volgroup") != std::string::npos);
  CHECK(problems(replaced(",disk/by-id/ata-DATA_HDD_X789\n", "\n")).find("exactly") !=
        std::string::npos);
  CHECK(problems(replaced("volgroup vg-data --noformat --useexisting",
                          "volgroup vg-data --noformat --useexisting pv.kvmr01"))
            .find("names members") != std::string::npos);
}

TEST_CASE("%pre stops the install unless the named data volume is the rescued one") {
  const std::string uuid = "0b0e3c6a-1111-4222-8333-444455556666";
  for (const Dialect d : {Dialect::el7, Dialect::el8, Dialect::el9}) {
    const std::string dialect = to_string(d);
    CAPTURE(dialect);
    const std::string part = render(test::story_profile(d), {});
    CHECK(has_line(part, "%pre --erroronfail --log=/tmp/kvm-rescue-pre.log"));
    CHECK(part.find("%pre ") < part.find("%packages"));
    CHECK(has_line(part, "kvmr_check_fs \"$(kvmr_dev 'disk/by-id/ata-DATA_HDD_W456-part1')\" '" +
                             uuid + "' 'xfs' 'kvm-rescue'"));
    CHECK(part.find("vgchange -ay") == std::string::npos);
    CHECK(part.find("mdadm --assemble") == std::string::npos);
    const std::string lvm = render(test::lvm_profile(d), {});
    CHECK(has_line(lvm, "kvmr_check_lv 'vg-data' 'vm_images' '" + uuid + "' 'xfs' 'kvm-rescue'"));
    CHECK(lvm.find(R"(lvm vgchange -ay "$1")") != std::string::npos);
    CHECK(lvm.find("kvmr_dev") == std::string::npos);
    const std::string md = render(test::md_profile(d), {});
    CHECK(has_line(md, "kvmr_check_md 'data' '" + uuid + "' 'xfs' 'kvm-rescue'"));
    CHECK(md.find("mdadm --assemble --scan") != std::string::npos);
  }
}

TEST_CASE("%pre takes the state directory from the payload path, quoted") {
  Profile p = test::story_profile(Dialect::el8);
  p.data_disks.front().partition = "disk/by-id/it's-part1";
  p.data_disks.front().mountpoint = "/srv/vm";
  p.payload_dir = "/srv/vm/state dir/payload";
  const std::string ks = render(p, {});
  CHECK(has_line(ks, R"x(kvmr_check_fs "$(kvmr_dev 'disk/by-id/it'\''s-part1')" ')x" +
                         p.data_disks.front().fs_uuid + "' 'xfs' 'state dir'"));
  // A payload elsewhere: only the UUID is checked on this volume.
  p.payload_dir = "/elsewhere/payload";
  CHECK(render(p, {}).find("' 'xfs' ''\n") != std::string::npos);
}
