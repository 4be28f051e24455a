#include "unit/kickstart/ks_test_util.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

namespace kvmr::kickstart::test {

Profile story_profile(Dialect d) {
  Profile p;
  p.dialect = d;
  p.os_disk = "disk/by-id/ata-NEW_SSD_S123";
  p.data_disks.push_back({"disk/by-id/ata-DATA_HDD_W456", "disk/by-id/ata-DATA_HDD_W456-part1",
                          "0b0e3c6a-1111-4222-8333-444455556666", "xfs",
                          "/var/lib/libvirt/images"});
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
  p.root_sshkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKvmrTestKey admin@shop";
  p.uefi_guests = true;
  return p;
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
