// flow::next_steps: the disks the person at the server must attach, one
// for a partition, every PV/member disk for data on an LVM VG or md array.
#include "rescue/flow/kickstart_flow.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

namespace kvmr {
namespace {

kickstart::Profile profile() {
  kickstart::Profile p;
  p.os_disk = "disk/by-id/ata-NEW_SSD_S123";
  kickstart::DataDisk d;
  d.disk = "disk/by-id/ata-DATA_HDD_W456";
  d.partition = d.disk + "-part1";
  d.fs_uuid = "0b0e3c6a-1111-4222-8333-444455556666";
  p.data_disks.push_back(d);
  return p;
}

bool lines_fit(const std::string &text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 80) {
      return false;
    }
  }
  return true;
}

TEST_CASE("next steps name the one data disk of a partition") {
  const std::string s = flow::next_steps(profile(), false);
  CHECK(s.find("the disk with the rescued VMs (disk/by-id/ata-DATA_HDD_W456)") !=
        std::string::npos);
  CHECK(s.find("0b0e3c6a-1111-4222-8333-444455556666") != std::string::npos);
  CHECK(lines_fit(s));
}

TEST_CASE("next steps name every disk of the data VG or md array") {
  kickstart::Profile p = profile();
  kickstart::DataDisk &d = p.data_disks.front();
  d.kind = kickstart::DataKind::lvm;
  d.vg = "vg-data";
  d.lv = "images";
  d.partition.clear();
  d.member_disks = {"disk/by-id/ata-DATA_HDD_W456", "disk/by-id/ata-DATA_HDD_X789"};
  const std::string s = flow::next_steps(p, true);
  CHECK(s.find("every disk of the VG vg-data") != std::string::npos);
  CHECK(s.find("\n       disk/by-id/ata-DATA_HDD_W456\n") != std::string::npos);
  CHECK(s.find("\n       disk/by-id/ata-DATA_HDD_X789\n") != std::string::npos);
  CHECK(lines_fit(s));
  d.kind = kickstart::DataKind::md;
  d.md = "data";
  CHECK(flow::next_steps(p, true).find("every disk of the md array data") != std::string::npos);
}

} // namespace
} // namespace kvmr
