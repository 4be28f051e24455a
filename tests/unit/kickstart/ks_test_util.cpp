#include "unit/kickstart/ks_test_util.hpp"

#include "kickstart/safety.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <sys/wait.h>

namespace kvmr::kickstart::test {

Profile story_profile(Dialect d) {
  Profile p;
  p.dialect = d;
  p.os_disk = "disk/by-id/ata-NEW_SSD_S123";
  DataDisk data;
  data.disk = "disk/by-id/ata-DATA_HDD_W456";
  data.partition = "disk/by-id/ata-DATA_HDD_W456-part1";
  data.fs_uuid = "0b0e3c6a-1111-4222-8333-444455556666";
  data.fstype = "xfs";
  data.mountpoint = "/var/lib/libvirt/images";
  p.data_disks.push_back(data);
  p.hostname = "kvmhost01.example.jp";
  NetDevice br;
  br.device = "br0";
  br.bridge_slaves = {"enp3s0"};
  br.dhcp = false;
  br.ip = "192.168.10.20";
  br.netmask = "255.255.255.0";
  br.gateway = "192.168.10.1";
  br.nameservers = {"192.168.10.1", "8.8.8.8"};
  p.network.push_back(br);
  p.timezone = "Asia/Tokyo";
  p.lang = "ja_JP.UTF-8";
  p.keyboard = "jp106";
  p.x11_layout = "jp";
  // The old host's ways in, as scan reads them (keep-old, the default).
  p.root_hash =
      "$6$KVMRfixture0001$Vx1oQ3bKcJ1Zr8uE0mN5yT2wH7pL4sD9fG6aJ3kQ1xC8vB5nM2zR7tY4uI0oP9eW6"
      "qS3dF1gH8jK5lZ2xC4vB.";
  p.root_keys = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKvmrTestKey admin@shop"};
  kvmr::scan::AdminAccount alice;
  alice.name = "alice";
  alice.gecos = "Alice Admin";
  alice.hash = "$6$aliceSALT$QvYw5m0nP1r2s3t4u5v6w7x8y9z0A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0U1"
               "V2W3X4Y5Z6a7b8c9d0e1f2";
  alice.groups = {"wheel"};
  alice.ssh_keys = {"from=\"192.168.10.0/24\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAliceKey "
                    "alice@laptop"};
  p.admins.push_back(alice);
  p.sudoers.push_back({"10-admins", "alice ALL=(ALL) NOPASSWD: ALL\n"});
  p.uefi_guests = true;
  return p;
}

Profile lvm_profile(Dialect d) {
  Profile p = story_profile(d);
  DataDisk &data = p.data_disks.front();
  data.kind = DataKind::lvm;
  data.vg = "vg-data";
  data.lv = "vm_images";
  data.partition.clear();
  data.member_disks = {"disk/by-id/ata-DATA_HDD_W456", "disk/by-id/ata-DATA_HDD_X789"};
  return p;
}

Profile md_profile(Dialect d) {
  Profile p = story_profile(d);
  DataDisk &data = p.data_disks.front();
  data.kind = DataKind::md;
  data.md = "data";
  data.partition.clear();
  data.member_disks = {"disk/by-id/ata-DATA_HDD_W456", "disk/by-id/ata-DATA_HDD_X789"};
  return p;
}

std::vector<std::string> structure_problems(const std::string &ks, const Profile &p) {
  std::vector<std::string> bad = check_safety(ks, p);
  std::set<std::string> pvs; // part pv.X
  std::set<std::string> vgs; // volgroup NAME
  std::vector<std::pair<std::string, std::vector<std::string>>> volgroups;
  std::vector<std::string> logvol_vgs;
  std::string only_use;
  std::istringstream in(ks);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("%packages", 0) == 0 || line.rfind("%post", 0) == 0) {
      break; // the commands come first
    }
    const auto w = split_ks_line(line);
    if (w.size() < 2) {
      continue;
    }
    if ((w[0] == "part" || w[0] == "partition") && w[1].rfind("pv.", 0) == 0) {
      pvs.insert(w[1]);
    } else if (w[0] == "volgroup") {
      vgs.insert(w[1]);
      std::vector<std::string> members;
      for (std::size_t i = 2; i < w.size(); ++i) {
        if (w[i].rfind("--", 0) != 0) {
          members.push_back(w[i]);
        }
      }
      const bool existing = std::find(w.begin(), w.end(), "--noformat") != w.end();
      if (existing && !members.empty()) {
        bad.push_back("volgroup " + w[1] + " is existing (--noformat) but names members");
      }
      if (!existing && members.empty()) {
        bad.push_back("volgroup " + w[1] + " is new but names no PV");
      }
      volgroups.emplace_back(w[1], members);
    } else if (w[0] == "logvol") {
      for (const auto &x : w) {
        if (x.rfind("--vgname=", 0) == 0) {
          logvol_vgs.push_back(x.substr(9));
        }
      }
    } else if (w[0] == "ignoredisk") {
      for (const auto &x : w) {
        if (x.rfind("--only-use=", 0) == 0) {
          only_use = x.substr(11);
        }
      }
    }
  }
  for (const auto &[vg, members] : volgroups) {
    for (const auto &m : members) {
      if (!pvs.contains(m)) {
        std::string msg = "volgroup " + vg;
        msg += " uses " + m;
        msg += ", which no part defines";
        bad.push_back(msg);
      }
    }
  }
  for (const auto &vg : logvol_vgs) {
    if (!vgs.contains(vg)) {
      bad.push_back("logvol --vgname=" + vg + " names no volgroup");
    }
  }
  std::set<std::string> want{p.os_disk};
  for (const auto &d : p.data_disks) {
    for (const auto &disk : disks_of(d)) {
      want.insert(disk);
    }
  }
  std::set<std::string> got;
  std::istringstream list(only_use);
  for (std::string d; std::getline(list, d, ',');) {
    got.insert(d);
  }
  if (got != want) {
    bad.push_back("ignoredisk --only-use=" + only_use +
                  " does not name exactly the OS disk and the data disks");
  }
  if (vgs.contains(p.vg_name) &&
      std::any_of(p.data_disks.begin(), p.data_disks.end(), [&](const DataDisk &d) {
        return d.kind == DataKind::lvm && d.vg == p.vg_name;
      })) {
    bad.push_back("the OS VG " + p.vg_name + " has the data VG's name");
  }
  return bad;
}

Ran sh(const std::string &cmd) {
  Ran r;
  FILE *p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
    r.out.append(buf.data(), n);
  }
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string ksvalidator() {
  if (const char *e = std::getenv("KVMR_KSVALIDATOR"); e != nullptr && *e != '\0') {
    return e;
  }
  if (sh("command -v ksvalidator >/dev/null").status == 0) {
    return "ksvalidator";
  }
  return "";
}

} // namespace kvmr::kickstart::test
