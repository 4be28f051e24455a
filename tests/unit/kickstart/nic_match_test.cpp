// NICs matched by MAC between the old host's profile and a /sys/class/net
// tree made here (real directories, files and symlinks), and what
// build_profile makes of the matches, the user's --nic and the misses.
#include "kickstart/nic_match.hpp"
#include "kickstart/profile_build.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;

namespace {

struct SysNet {
  fs::path dir = fs::absolute("sys-class-net");
  SysNet() { fs::remove_all(dir); }
  SysNet(const SysNet &) = delete;
  SysNet &operator=(const SysNet &) = delete;
  SysNet(SysNet &&) = delete;
  SysNet &operator=(SysNet &&) = delete;
  ~SysNet() { fs::remove_all(dir); }
  // A NIC; PHYSICAL: with a `device` link as the kernel makes for PCI NICs.
  void add(const std::string &name, const std::string &mac, bool physical,
           const std::string &extra_dir = "") const {
    fs::create_directories(dir / name);
    std::ofstream(dir / name / "address") << mac << "\n";
    if (physical) {
      fs::create_directory_symlink("../../devices/pci0000:00/0000:00:03.0", dir / name / "device");
    }
    if (!extra_dir.empty()) {
      fs::create_directories(dir / name / extra_dir);
    }
  }
};

const nlohmann::json kHost = nlohmann::json::parse(R"({
  "network": {
    "bridges": [{"device": "br0", "ports": [{"device": "eth0", "mac": "52:54:00:AA:BB:CC"}]}],
    "interfaces": [
      {"device": "br0", "type": "bridge", "bootproto": "dhcp"},
      {"device": "eth0", "type": "ethernet", "bridge": "br0", "hwaddr": "52:54:00:aa:bb:cc"},
      {"device": "eth1", "type": "ethernet", "bootproto": "dhcp", "hwaddr": "52:54:00:11:22:33"},
      {"device": "eth2", "type": "ethernet", "bootproto": "dhcp", "hwaddr": "52:54:00:99:99:99"},
      {"device": "eth3", "type": "ethernet", "bootproto": "dhcp"}
    ]}
})");

} // namespace

TEST_CASE("read_local_nics: physical NICs only, bond ports by their permanent MAC") {
  const SysNet sys;
  sys.add("lo", "00:00:00:00:00:00", false);
  sys.add("enp3s0", "52:54:00:AA:BB:CC", true);
  sys.add("enp4s0", "52:54:00:11:22:33", true);
  sys.add("br0", "52:54:00:aa:bb:cc", false, "bridge");
  sys.add("virbr0-nic", "52:54:00:de:ad:00", false);
  sys.add("enp5s0", "0e:00:00:00:00:01", true, "bonding_slave");
  std::ofstream(sys.dir / "enp5s0" / "bonding_slave" / "perm_hwaddr") << "52:54:00:55:55:55\n";
  const auto nics = read_local_nics(sys.dir.string());
  REQUIRE(nics.size() == 3);
  CHECK(nics[0].name == "enp3s0");
  CHECK(nics[0].mac == "52:54:00:aa:bb:cc");
  CHECK(nics[1].name == "enp4s0");
  CHECK(nics[2].name == "enp5s0");
  CHECK(nics[2].mac == "52:54:00:55:55:55");
  CHECK(read_local_nics((sys.dir / "missing").string()).empty());
}

TEST_CASE("match_nics_by_mac: the same card under its new name") {
  const std::vector<LocalNic> local{{"enp3s0", "52:54:00:aa:bb:cc"},
                                    {"enp4s0", "52:54:00:11:22:33"}};
  const auto m = match_nics_by_mac(kHost, local);
  CHECK(m.size() == 2);
  CHECK(m.at("eth0") == "enp3s0");
  CHECK(m.at("eth1") == "enp4s0");
  CHECK(normalize_mac("52-54-00-AA-BB-CC") == "52:54:00:aa:bb:cc");
  CHECK(normalize_mac("52:54:00:aa:bb").empty());
  CHECK(normalize_mac("zz:54:00:aa:bb:cc").empty());
}

TEST_CASE("build_profile: --nic wins, then MAC matches, then the old MAC or name") {
  kvmr::plan::RescuePlan p;
  p.target.kind = kvmr::plan::TargetKind::device;
  kvmr::plan::DiskIdentity disk;
  disk.by_id = {"/dev/disk/by-id/ata-DATA"};
  p.target.disk = disk;
  p.kickstart.os_disk = "ata-NEW";
  p.host = kHost;
  p.host["hostname"] = {{"name", "kvmhost01"}};
  Overrides o;
  o.local_nics =
      std::vector<LocalNic>{{"enp3s0", "52:54:00:aa:bb:cc"}, {"enp4s0", "52:54:00:11:22:33"}};
  o.nic_map["eth1"] = "eno1";
  const Profile pr = build_profile(p, o);
  REQUIRE(pr.network.size() == 4);
  CHECK(pr.network[0].device == "br0");
  CHECK(pr.network[0].bridge_slaves == std::vector<std::string>{"enp3s0"});
  CHECK(pr.network[1].device == "eno1");              // --nic wins over the MAC match
  CHECK(pr.network[2].device == "52:54:00:99:99:99"); // not here: by its MAC
  CHECK(pr.network[3].device == "eth3");              // no MAC known: old name
  bool mac_warned = false;
  for (const auto &w : pr.warnings) {
    mac_warned = mac_warned || w.find("NIC eth2 (52:54:00:99:99:99) is not on this machine") == 0;
    CHECK(w.find("bridge br0 keeps port eth0") == std::string::npos);
  }
  CHECK(mac_warned);
  // Without the local NICs, the bridge port keeps its name, with a warning.
  const Profile unknown = build_profile(p, Overrides{});
  CHECK(unknown.network[0].bridge_slaves == std::vector<std::string>{"eth0"});
}
