// read_host_profile over a MountedTree holding the fixture's CentOS 7 host
// files (scripts/lib/fixture-host.sh), and variations: fallbacks for the
// hostname and time zone, bonds and VLANs, shadow states, missing files.
// The root password hash must never reach any string of the profile.
#include "rescue/scan/host_profile.hpp"
#include "rescue/scan/host_secrets.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

using namespace kvmr::scan;
using kvmr::volume::MountedTree;
namespace fs = std::filesystem;

namespace {

const std::string kHashSalt = "KVMRfixture0001";
const std::string kHash =
    "$6$KVMRfixture0001$Vx1oQ3bKcJ1Zr8uE0mN5yT2wH7pL4sD9fG6aJ3kQ1xC8vB5nM2zR7tY"
    "4uI0oP9eW6qS3dF1gH8jK5lZ2xC4vB.";

void put(const kvmr::test::TempDir &root, const std::string &path, const std::string &data) {
  const fs::path p = root.path() / path.substr(1);
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
}

void put_link(const kvmr::test::TempDir &root, const std::string &target, const std::string &path) {
  const fs::path p = root.path() / path.substr(1);
  fs::create_directories(p.parent_path());
  fs::remove(p);
  fs::create_symlink(target, p);
}

void remove(const kvmr::test::TempDir &root, const std::string &path) {
  fs::remove(root.path() / path.substr(1));
}

std::string tzif_tokyo() {
  std::string block = "TZif2" + std::string(15, '\0');
  block += std::string(16, '\0');
  block += std::string("\0\0\0\1\0\0\0\4", 8);
  block += std::string("\0\0\x7e\x90\0\0", 6);
  block += std::string("JST\0", 4);
  return block + block + "\nJST-9\n";
}

const char *const kKickstart = R"(#version=DEVEL
# System authorization information
auth --enableshadow --passalgo=sha512
# Use CDROM installation media
cdrom
# Use graphical install
graphical
# Run the Setup Agent on first boot
firstboot --enable
ignoredisk --only-use=sda
# Keyboard layouts
keyboard --vckeymap=jp106 --xlayouts='jp'
# System language
lang ja_JP.UTF-8

# Network information
network  --bootproto=static --device=eth0 --gateway=192.168.10.1 --ip=192.168.10.5 --nameserver=192.168.10.1 --netmask=255.255.255.0 --ipv6=auto --activate
network  --hostname=kvmhost01.example.jp

# Root password
rootpw --iscrypted $6$KVMRfixture0001$Vx1oQ3bKcJ1Zr8uE0mN5yT2wH7pL4sD9fG6aJ3kQ1xC8vB5nM2zR7tY4uI0oP9eW6qS3dF1gH8jK5lZ2xC4vB.
# System services
services --enabled="chronyd"
# System timezone
timezone Asia/Tokyo --isUtc
# System bootloader configuration
bootloader --append=" crashkernel=auto" --location=mbr --boot-drive=sda
# Partition clearing information
clearpart --all --initlabel --drives=sda
# Disk partitioning information
part /boot --fstype="xfs" --ondisk=sda --size=500
part pv.157 --fstype="lvmpv" --ondisk=sda --size=1200
volgroup centos --pesize=4096 pv.157
logvol /  --fstype="xfs" --size=640 --name=root --vgname=centos
logvol swap  --fstype="swap" --size=64 --name=swap --vgname=centos

%packages
@^virtualization-host-environment
@base
@core
chrony

%end

%addon com_redhat_kdump --enable --reserve-mb='auto'

%end

%anaconda
pwpolicy root --minlen=6 --minquality=1 --notstrict --nochanges --notempty
%end
)";

// The files scripts/lib/fixture-host.sh writes (LVM root, DOS table).
void write_fixture_host(const kvmr::test::TempDir &r) {
  put(r, "/etc/fstab",
      "\n#\n# /etc/fstab\n# Created by anaconda on Tue Mar  2 10:05:12 2021\n#\n"
      "/dev/mapper/centos-root /                       xfs     defaults        0 0\n"
      "UUID=4b564d52-0000-4000-8000-000000000b01 /boot xfs     defaults        0 0\n"
      "/dev/mapper/centos-swap swap                    swap    defaults        0 0\n");
  put(r, "/etc/hostname", "kvmhost01.example.jp\n");
  put(r, "/etc/locale.conf", "LANG=\"ja_JP.UTF-8\"\n");
  put(r, "/etc/vconsole.conf", "KEYMAP=\"jp106\"\nFONT=\"latarcyrheb-sun16\"\n");
  put(r, "/usr/share/zoneinfo/Asia/Tokyo", tzif_tokyo());
  put_link(r, "../usr/share/zoneinfo/Asia/Tokyo", "/etc/localtime");
  put(r, "/etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n");
  put_link(r, "centos-release", "/etc/redhat-release");
  put_link(r, "centos-release", "/etc/system-release");
  put(r, "/etc/os-release",
      "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n"
      "VERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\nANSI_COLOR=\"0;31\"\n"
      "CPE_NAME=\"cpe:/o:centos:centos:7\"\nHOME_URL=\"https://www.centos.org/\"\n"
      "BUG_REPORT_URL=\"https://bugs.centos.org/\"\n\nCENTOS_MANTISBT_PROJECT=\"CentOS-7\"\n"
      "CENTOS_MANTISBT_PROJECT_VERSION=\"7\"\nREDHAT_SUPPORT_PRODUCT=\"centos\"\n"
      "REDHAT_SUPPORT_PRODUCT_VERSION=\"7\"\n\n");
  put(r, "/etc/selinux/config",
      "\n# This file controls the state of SELinux on the system.\n"
      "# SELINUX= can take one of these three values:\n"
      "#     enforcing - SELinux security policy is enforced.\n"
      "SELINUX=enforcing\n"
      "# SELINUXTYPE= can take one of three values:\n"
      "#     minimum - Modification of targeted policy. Only selected processes are protected. \n"
      "SELINUXTYPE=targeted \n\n\n");
  put(r, "/etc/shadow",
      "root:" + kHash + "::0:99999:7:::\nbin:*:18353:0:99999:7:::\nqemu:!!:18688::::::\n");
  put(r, "/etc/sysconfig/network", "# Created by anaconda\n");
  const std::string n = "/etc/sysconfig/network-scripts/";
  put(r, n + "ifcfg-lo",
      "DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\nNETWORK=127.0.0.0\n"
      "# If you're having problems with gated making 127.0.0.0/8 a martian,\n"
      "BROADCAST=127.255.255.255\nONBOOT=yes\nNAME=loopback\n");
  put(r, n + "ifcfg-br0",
      "TYPE=Bridge\nBOOTPROTO=static\nIPADDR=192.168.10.5\nPREFIX=24\nGATEWAY=192.168.10.1\n"
      "DNS1=192.168.10.1\nONBOOT=yes\nDEVICE=br0\nNAME=br0\n");
  put(r, n + "ifcfg-eth0",
      "DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nBRIDGE=br0\nONBOOT=yes\nTYPE=Ethernet\n");
  put(r, "/usr/lib/systemd/system/libvirtd.service", "[Unit]\nDescription=Virtualization daemon\n");
  put(r, "/usr/lib/systemd/system/sshd.service", "[Unit]\nDescription=OpenSSH server daemon\n");
  const std::string w = "/etc/systemd/system/multi-user.target.wants/";
  put_link(r, "/usr/lib/systemd/system/libvirtd.service", w + "libvirtd.service");
  put_link(r, "/usr/lib/systemd/system/sshd.service", w + "sshd.service");
  put(r, "/root/anaconda-ks.cfg", kKickstart);
}

bool has_note(const HostProfile &p, const std::string &file, const std::string &part) {
  return std::any_of(p.notes.begin(), p.notes.end(), [&](const SourceNote &n) {
    return n.file == file && n.message.find(part) != std::string::npos;
  });
}

std::string all_notes(const HostProfile &p) {
  std::string s;
  for (const SourceNote &n : p.notes) {
    s += n.text() + "\n";
  }
  return s;
}

} // namespace

TEST_CASE("the fixture's CentOS 7 host profile") {
  const kvmr::test::TempDir root;
  write_fixture_host(root);
  MountedTree tree(root.path().string());
  const HostProfile p = read_host_profile(tree);
  INFO(all_notes(p));
  CHECK(p.notes.empty());

  CHECK(p.hostname.name == "kvmhost01.example.jp");
  CHECK(p.hostname.source == "/etc/hostname");
  CHECK_FALSE(p.hostname.fallback);

  CHECK(p.os.release_line == "CentOS Linux release 7.9.2009 (Core)");
  CHECK(p.os.release_file == "/etc/centos-release");
  CHECK(p.os.id == "centos");
  CHECK(p.os.version_id == "7");
  CHECK(p.os.name == "CentOS Linux");
  CHECK(p.os.pretty_name == "CentOS Linux 7 (Core)");

  REQUIRE(p.network.interfaces.size() == 2); // lo left out
  CHECK(p.network.interfaces[0].device == "br0");
  CHECK(p.network.interfaces[1].device == "eth0");
  REQUIRE(p.network.bridges.size() == 1);
  CHECK(p.network.bridges[0].device == "br0");
  REQUIRE(p.network.bridges[0].ports.size() == 1);
  CHECK(p.network.bridges[0].ports[0].device == "eth0");
  CHECK(p.network.bridges[0].ports[0].mac == "52:54:00:12:34:56");
  CHECK(p.network.bonds.empty());
  CHECK(p.network.vlans.empty());
  CHECK(p.network.gateway.address == "192.168.10.1");
  CHECK(p.network.gateway.device == "br0");
  CHECK(p.network.dns == std::vector<std::string>{"192.168.10.1"});
  CHECK(p.network.dns_source == "/etc/sysconfig/network-scripts/ifcfg-br0");

  CHECK(p.timezone.name == "Asia/Tokyo");
  CHECK(p.timezone.source == "/etc/localtime -> ../usr/share/zoneinfo/Asia/Tokyo");
  CHECK(p.locale.lang == "ja_JP.UTF-8");
  CHECK(p.locale.keymap == "jp106");
  CHECK(p.locale.font == "latarcyrheb-sun16");
  CHECK(p.selinux.mode == "enforcing");
  CHECK(p.selinux.type == "targeted");

  REQUIRE(p.services.size() == 2);
  CHECK(p.services[0].unit == "libvirtd.service");
  CHECK(p.services[0].wanted_by == "multi-user.target");
  CHECK(p.services[0].link == "/usr/lib/systemd/system/libvirtd.service");
  CHECK(p.services[1].unit == "sshd.service");

  REQUIRE(p.fstab.size() == 3);
  CHECK(p.fstab[0].spec == "/dev/mapper/centos-root");
  CHECK(p.fstab[1].mountpoint == "/boot");

  CHECK(p.kickstart.present);
  CHECK(p.kickstart.size == std::string(kKickstart).size());
  CHECK(p.kickstart.rootpw);
  CHECK(p.kickstart.rootpw_iscrypted);
  const auto &ks = p.kickstart.lines;
  const auto has_line = [&](const std::string &l) {
    return std::find(ks.begin(), ks.end(), l) != ks.end();
  };
  CHECK(has_line("lang ja_JP.UTF-8"));
  CHECK(has_line("keyboard --vckeymap=jp106 --xlayouts='jp'"));
  CHECK(has_line("timezone Asia/Tokyo --isUtc"));
  CHECK(has_line("network --hostname=kvmhost01.example.jp"));
  CHECK(has_line("rootpw --iscrypted <redacted>"));
  CHECK(has_line("volgroup centos --pesize=4096 pv.157"));
  CHECK(has_line("logvol / --fstype=\"xfs\" --size=640 --name=root --vgname=centos"));
  CHECK(has_line("part /boot --fstype=\"xfs\" --ondisk=sda --size=500"));
  CHECK(has_line("bootloader --append=\" crashkernel=auto\" --location=mbr --boot-drive=sda"));
  CHECK_FALSE(has_line("cdrom"));
  CHECK_FALSE(has_line("chrony"));
  CHECK(std::none_of(ks.begin(), ks.end(),
                     [](const std::string &l) { return l.rfind("pwpolicy", 0) == 0; }));

  CHECK(p.root_password.state == RootPasswordState::hash);
  CHECK(p.root_password.algorithm == "sha512");
}

TEST_CASE("the root password hash never reaches the profile's strings") {
  const kvmr::test::TempDir root;
  write_fixture_host(root);
  // Also where a careless reader would quote it: a note about a bad line.
  put(root, "/etc/sysconfig/network", "# Created by anaconda\n" + kHash + "\n");
  put(root, "/root/anaconda-ks.cfg",
      std::string(kKickstart) + "user --name=admin --password=" + kHash +
          " --iscrypted\nrootpw --plaintext 'secret pw'\nbootloader --password " + kHash + "\n");
  MountedTree tree(root.path().string());
  const HostProfile p = read_host_profile(tree);
  const std::string json = to_json(p).dump();
  CHECK(json.find("\"sha512\"") != std::string::npos);
  CHECK(json.find("user --name=admin --password=<redacted> --iscrypted") != std::string::npos);
  CHECK(json.find("rootpw --plaintext <redacted>") != std::string::npos);
  CHECK(json.find("bootloader --password <redacted>") != std::string::npos);
  CHECK(json.find("secret pw") == std::string::npos);
  CHECK(json.find(kHashSalt) == std::string::npos);
  CHECK(json.find("Vx1oQ3bKcJ1Zr8uE0mN5") == std::string::npos);
  CHECK(all_notes(p).find(kHashSalt) == std::string::npos);
  CHECK(has_note(p, "/etc/sysconfig/network", "not an assignment"));
}

TEST_CASE("hostname fallbacks: /etc/sysconfig/network, an ifcfg, then localhost") {
  const kvmr::test::TempDir root;
  write_fixture_host(root);
  remove(root, "/etc/hostname");
  put(root, "/etc/sysconfig/network",
      "NETWORKING=yes\nHOSTNAME=\"kvmhost01.example.jp\"\n"
      "GATEWAY=192.168.10.254\n");
  {
    MountedTree tree(root.path().string());
    const HostProfile p = read_host_profile(tree);
    CHECK(p.hostname.name == "kvmhost01.example.jp");
    CHECK(p.hostname.source == "/etc/sysconfig/network");
    CHECK(has_note(p, "/etc/hostname", "not found"));
    CHECK(p.network.networking == true);
    CHECK(p.network.gateway.address == "192.168.10.1"); // the interface's own wins
  }
  put(root, "/etc/sysconfig/network", "NETWORKING=yes\n");
  put(root, "/etc/sysconfig/network-scripts/ifcfg-eth0",
      "DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nBRIDGE=br0\nDHCP_HOSTNAME=old-kvm\n");
  {
    MountedTree tree(root.path().string());
    const HostProfile p = read_host_profile(tree);
    CHECK(p.hostname.name == "old-kvm");
    CHECK(p.hostname.source == "/etc/sysconfig/network-scripts/ifcfg-eth0");
  }
  put(root, "/etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nBRIDGE=br0\n");
  put(root, "/etc/hostname", "\n# nothing\n");
  {
    MountedTree tree(root.path().string());
    const HostProfile p = read_host_profile(tree);
    CHECK(p.hostname.name == "localhost.localdomain");
    CHECK(p.hostname.fallback);
    CHECK(p.hostname.source == "fallback");
    CHECK(has_note(p, "/etc/hostname", "empty"));
    CHECK(has_note(p, "/etc/hostname", "fallback"));
  }
}

TEST_CASE("/etc/localtime as a copy: named only when a candidate's content matches") {
  const kvmr::test::TempDir root;
  write_fixture_host(root);
  remove(root, "/etc/localtime");
  put(root, "/etc/localtime", tzif_tokyo());
  put(root, "/root/anaconda-ks.cfg", "lang ja_JP.UTF-8\n");
  {
    MountedTree tree(root.path().string());
    const HostProfile p = read_host_profile(tree);
    CHECK(p.timezone.name == "unknown");
    CHECK(has_note(p, "/etc/localtime", "cannot be named from the copy"));
  }
  put(root, "/root/anaconda-ks.cfg", "timezone --utc Asia/Tokyo\n");
  {
    MountedTree tree(root.path().string());
    const HostProfile p = read_host_profile(tree);
    CHECK(p.timezone.name == "Asia/Tokyo");
    CHECK(p.timezone.source == "/etc/localtime (same content as /usr/share/zoneinfo/Asia/Tokyo)");
  }
  put(root, "/root/anaconda-ks.cfg", "lang C\n");
  put(root, "/etc/sysconfig/clock", "ZONE=\"Europe/Berlin\"\nUTC=true\n");
  put(root, "/etc/adjtime", "0.0 0 0.0\n0\nLOCAL\n");
  {
    MountedTree tree(root.path().string());
    const HostProfile p = read_host_profile(tree);
    CHECK(p.timezone.name == "Europe/Berlin");
    CHECK(p.timezone.source == "/etc/sysconfig/clock");
    CHECK(p.timezone.utc == false); // /etc/adjtime read last
    CHECK(has_note(p, "/etc/sysconfig/clock", "unconfirmed"));
    CHECK(has_note(p, "/etc/localtime", "cannot be named from the copy"));
  }
}

TEST_CASE("root password states from /etc/shadow") {
  CHECK(classify_password_field("").state == RootPasswordState::empty);
  CHECK(classify_password_field("!!").state == RootPasswordState::locked);
  CHECK(classify_password_field("!!").algorithm.empty());
  CHECK(classify_password_field("*").state == RootPasswordState::locked);
  const RootPassword locked_hash = classify_password_field("!" + kHash);
  CHECK(locked_hash.state == RootPasswordState::locked);
  CHECK(locked_hash.algorithm == "sha512");
  CHECK(classify_password_field("$1$abc$def").algorithm == "md5");
  CHECK(classify_password_field("$5$abc$def").algorithm == "sha256");
  CHECK(classify_password_field("$y$j9T$abc$def").algorithm == "yescrypt");
  CHECK(classify_password_field("$2b$10$abc").algorithm == "bcrypt");
  CHECK(classify_password_field("abcdefghijklm").algorithm == "des");
  CHECK(classify_password_field("$9secret").algorithm == "unknown");

  const kvmr::test::TempDir root;
  write_fixture_host(root);
  const auto state_of = [&](const std::string &shadow) {
    put(root, "/etc/shadow", shadow);
    MountedTree tree(root.path().string());
    return read_host_profile(tree).root_password;
  };
  CHECK(state_of("root:!!:18688:0:99999:7:::\n").state == RootPasswordState::locked);
  CHECK(state_of("root::18688:0:99999:7:::\n").state == RootPasswordState::empty);
  CHECK(state_of("bin:*:1::::::\r\nroot:" + kHash + ":1::::::\r\n").algorithm == "sha512");
  CHECK(state_of("bin:*:1::::::\n").state == RootPasswordState::unknown);
  remove(root, "/etc/shadow");
  MountedTree tree(root.path().string());
  const HostProfile p = read_host_profile(tree);
  CHECK(p.root_password.state == RootPasswordState::unknown);
  CHECK(has_note(p, "/etc/shadow", "not found"));
}

TEST_CASE("bonds, VLANs, gateway and DNS fallbacks, ignored files") {
  const kvmr::test::TempDir root;
  write_fixture_host(root);
  const std::string n = "/etc/sysconfig/network-scripts/";
  remove(root, n + "ifcfg-br0");
  remove(root, n + "ifcfg-eth0");
  put(root, "/etc/sysconfig/network", "NETWORKING=yes\nGATEWAY=10.0.0.1\nGATEWAYDEV=bond0\n");
  put(root, "/etc/resolv.conf",
      "# Generated\nsearch example.jp\nnameserver 10.0.0.53\n"
      "nameserver 10.0.0.54\n");
  put(root, n + "ifcfg-bond0",
      "DEVICE=bond0\nTYPE=Bond\nBONDING_MASTER=yes\nBONDING_OPTS='mode=active-backup "
      "miimon=100'\nBOOTPROTO=none\nIPADDR=10.0.0.5\nNETMASK=255.255.255.0\n");
  put(root, n + "ifcfg-eth1", "DEVICE=eth1\nMASTER=bond0\nSLAVE=yes\nHWADDR=52:54:00:00:00:01\n");
  put(root, n + "ifcfg-eth2", "DEVICE=eth2\nMASTER=bond0\nSLAVE=yes\nHWADDR=52:54:00:00:00:02\n");
  put(root, n + "ifcfg-bond0.100", "DEVICE=bond0.100\nVLAN=yes\nBRIDGE=br100\nONBOOT=yes\n");
  put(root, n + "ifcfg-br100",
      "DEVICE=br100\nTYPE=Bridge\nBOOTPROTO=dhcp\n"
      "NAME=\"業務用 ブリッジ\"\n");
  put(root, n + "ifcfg-eth3", "DEVICE=eth3\nBRIDGE=br9\n");
  put(root, n + "ifcfg-eth1.bak", "DEVICE=eth1\n");
  put(root, n + "ifup-eth", "#!/bin/bash\n");
  MountedTree tree(root.path().string());
  const HostProfile p = read_host_profile(tree);
  INFO(all_notes(p));

  REQUIRE(p.network.interfaces.size() == 6);
  REQUIRE(p.network.bonds.size() == 1);
  CHECK(p.network.bonds[0].device == "bond0");
  CHECK(p.network.bonds[0].bonding_opts == "mode=active-backup miimon=100");
  REQUIRE(p.network.bonds[0].slaves.size() == 2);
  CHECK(p.network.bonds[0].slaves[0].device == "eth1");
  CHECK(p.network.bonds[0].slaves[1].mac == "52:54:00:00:00:02");
  REQUIRE(p.network.vlans.size() == 1);
  CHECK(p.network.vlans[0].device == "bond0.100");
  CHECK(p.network.vlans[0].id == 100);
  CHECK(p.network.vlans[0].parent == "bond0");
  REQUIRE(p.network.bridges.size() == 1);
  CHECK(p.network.bridges[0].device == "br100");
  REQUIRE(p.network.bridges[0].ports.size() == 1);
  CHECK(p.network.bridges[0].ports[0].device == "bond0.100");
  const auto br = std::find_if(p.network.interfaces.begin(), p.network.interfaces.end(),
                               [](const HostInterface &i) { return i.device == "br100"; });
  REQUIRE(br != p.network.interfaces.end());
  CHECK(br->name == "業務用 ブリッジ");

  CHECK(p.network.gateway.address == "10.0.0.1");
  CHECK(p.network.gateway.device == "bond0");
  CHECK(p.network.gateway.source == "/etc/sysconfig/network");
  CHECK(p.network.dns == std::vector<std::string>{"10.0.0.53", "10.0.0.54"});
  CHECK(p.network.dns_source == "/etc/resolv.conf");
  CHECK(p.network.search == std::vector<std::string>{"example.jp"});
  CHECK(has_note(p, n + "ifcfg-eth1.bak", "ignored"));
  CHECK(has_note(p, n + "ifcfg-eth3", "BRIDGE=br9 names no bridge"));

  const std::string json = to_json(p).dump();
  CHECK(json.find("業務用 ブリッジ") != std::string::npos);
}

TEST_CASE("an empty tree: every file missing is a note, nothing throws") {
  const kvmr::test::TempDir root;
  MountedTree tree(root.path().string());
  const HostProfile p = read_host_profile(tree);
  CHECK(p.hostname.fallback);
  CHECK(p.timezone.name == "unknown");
  CHECK(p.root_password.state == RootPasswordState::unknown);
  CHECK_FALSE(p.kickstart.present);
  CHECK(p.network.interfaces.empty());
  for (const char *f : {"/etc/hostname", "/etc/os-release", "/etc/localtime", "/etc/locale.conf",
                        "/etc/vconsole.conf", "/etc/selinux/config", "/etc/fstab", "/etc/shadow",
                        "/root/anaconda-ks.cfg", "/etc/sysconfig/network-scripts",
                        "/etc/systemd/system", "/etc/resolv.conf"}) {
    CHECK_MESSAGE(has_note(p, f, ""), f);
  }
}

TEST_CASE("services: other targets, SysV links, masks; Japanese locale values") {
  const kvmr::test::TempDir root;
  write_fixture_host(root);
  put_link(root, "/usr/lib/systemd/system/virtlogd.socket",
           "/etc/systemd/system/sockets.target.wants/virtlogd.socket");
  put_link(root, "/usr/lib/systemd/system/postfix.service",
           "/etc/systemd/system/multi-user.target.wants/postfix.service");
  put_link(root, "/dev/null", "/etc/systemd/system/firewalld.service");
  put_link(root, "../init.d/network", "/etc/rc.d/rc3.d/S10network");
  put_link(root, "../init.d/network", "/etc/rc.d/rc2.d/S10network");
  put(root, "/etc/locale.conf", "LANG=ja_JP.UTF-8\nLC_MESSAGES=C\n# 日本語のコメント\n");
  put(root, "/etc/X11/xorg.conf.d/00-keyboard.conf",
      "Section \"InputClass\"\n        Identifier \"system-keyboard\"\n"
      "        MatchIsKeyboard \"on\"\n        Option \"XkbLayout\" \"jp\"\nEndSection\n");
  MountedTree tree(root.path().string());
  const HostProfile p = read_host_profile(tree);
  INFO(all_notes(p));
  CHECK(p.notes.empty());
  std::vector<std::string> got;
  for (const EnabledService &s : p.services) {
    got.push_back(s.unit + "@" + s.wanted_by);
  }
  CHECK(got == std::vector<std::string>{"libvirtd.service@multi-user.target",
                                        "sshd.service@multi-user.target",
                                        "virtlogd.socket@sockets.target", "network@runlevel3"});
  CHECK(p.masked == std::vector<std::string>{"firewalld.service"});
  CHECK(p.locale.lang == "ja_JP.UTF-8");
  CHECK(p.locale.lc.at("LC_MESSAGES") == "C");
  CHECK(p.locale.x11_layout == "jp");
}
