// Network ports from a made-up /sys/class/net and from real `ip -j -d addr
// show` output (data/ip_addr_veth_bridge_tap.json: a namespace with a veth
// pair, an empty bridge and a tap, captured with iproute2 6.1).
#include "rescue/net/nic.hpp"
#include "rescue/net/nic_json.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace kvmr::net; // NOLINT(google-build-using-namespace)

namespace {

// One port directory with the attributes given; "driver" makes a device/
// link (hardware) with device/driver pointing at a driver of that name.
void port(const fs::path &root, const std::string &name,
          const std::map<std::string, std::string> &attrs) {
  const fs::path dir = root / "class/net" / name;
  fs::create_directories(dir);
  for (const auto &[k, v] : attrs) {
    if (k == "driver") {
      const fs::path dev = root / "devices/pci0000:00" / name;
      fs::create_directories(dev);
      fs::create_directories(root / "bus/pci/drivers" / v);
      fs::create_directory_symlink(root / "bus/pci/drivers" / v, dev / "driver");
      fs::create_directory_symlink(dev, dir / "device");
    } else if (k == "bridge" || k == "tun_flags") {
      if (k == "bridge") {
        fs::create_directories(dir / k);
      } else {
        std::ofstream(dir / k) << v << "\n";
      }
    } else {
      std::ofstream(dir / k) << v << "\n";
    }
  }
}

std::string read_data(const std::string &name) {
  std::ifstream in(fs::path(KVMR_SOURCE_DIR) / "tests/unit/net/data" / name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("sysfs: link up, no cable, switched off; loopback left out; hardware and virtual") {
  kvmr::test::TempDir t;
  const fs::path sys = t.path() / "sys";
  port(sys, "lo", {{"type", "772"}, {"flags", "0x9"}, {"carrier", "1"}});
  port(sys, "eno1",
       {{"driver", "e1000e"},
        {"address", "3C:EC:EF:01:02:03"},
        {"flags", "0x1003"},
        {"carrier", "1"},
        {"operstate", "up"},
        {"speed", "1000"},
        {"type", "1"}});
  // switched on, no cable: carrier 0, the speed the driver reports is -1
  port(sys, "eno2",
       {{"driver", "igb"},
        {"address", "3c:ec:ef:01:02:04"},
        {"flags", "0x1003"},
        {"carrier", "0"},
        {"operstate", "down"},
        {"speed", "-1"},
        {"type", "1"}});
  // switched off: carrier and speed cannot be read (EINVAL): no files
  port(sys, "enp5s0",
       {{"driver", "r8169"},
        {"address", "00:e0:4c:68:00:01"},
        {"flags", "0x1002"},
        {"operstate", "down"},
        {"type", "1"}});
  port(sys, "virbr0",
       {{"bridge", ""},
        {"address", "52:54:00:aa:bb:cc"},
        {"flags", "0x1003"},
        {"carrier", "0"},
        {"operstate", "down"},
        {"type", "1"}});
  port(sys, "vnet0",
       {{"tun_flags", "0x1002"}, {"flags", "0x1003"}, {"carrier", "1"}, {"type", "1"}});

  const auto nics = read_sysfs_nics(sys / "class/net");
  REQUIRE(nics.size() == 5);
  CHECK(find_nic(nics, "lo") == nullptr);
  const Nic &eno1 = *find_nic(nics, "eno1");
  CHECK(eno1.link == LinkState::up);
  CHECK(eno1.driver == "e1000e");
  CHECK(eno1.mac == "3c:ec:ef:01:02:03");
  CHECK(eno1.kind == "ethernet");
  CHECK_FALSE(eno1.is_virtual);
  CHECK(eno1.speed_mbps == 1000);
  const Nic &eno2 = *find_nic(nics, "eno2");
  CHECK(eno2.link == LinkState::no_carrier);
  CHECK_FALSE(eno2.speed_mbps.has_value());
  CHECK(eno2.driver == "igb");
  const Nic &off = *find_nic(nics, "enp5s0");
  CHECK(off.link == LinkState::down);
  CHECK(off.operstate == "down");
  CHECK(find_nic(nics, "virbr0")->kind == "bridge");
  CHECK(find_nic(nics, "virbr0")->is_virtual);
  CHECK(find_nic(nics, "virbr0")->driver.empty());
  CHECK(find_nic(nics, "vnet0")->kind == "tun");
  CHECK(link_state_name(LinkState::no_carrier) == "no-carrier");
  CHECK(nics.front().name == "eno1"); // sorted
}

TEST_CASE("sysfs: a missing /sys/class/net is an error naming it") {
  kvmr::test::TempDir t;
  CHECK_THROWS_WITH_AS(read_sysfs_nics(t.path() / "nope"),
                       doctest::Contains((t.path() / "nope").string().c_str()), kvmr::SysError);
}

TEST_CASE("ip -j -d addr: kinds and addresses of a veth, a bridge, a tap") {
  const auto info = parse_ip_addr_json(read_data("ip_addr_veth_bridge_tap.json"));
  REQUIRE(info.count("vethA") == 1);
  CHECK(info.at("vethA").kind == "veth");
  CHECK(info.at("br0").kind == "bridge");
  CHECK(info.at("tap0").kind == "tun");
  CHECK(info.at("lo").kind.empty());
  const auto &a = info.at("vethA").addresses;
  REQUIRE(a.size() >= 2);
  CHECK(a[0] == IpAddress{4, "10.44.0.2", 24, "global"});
  CHECK(a[1] == IpAddress{6, "fd00:44::2", 64, "global"});
  CHECK(info.at("tap0").addresses.empty());
}

TEST_CASE("ip -j addr: output that is not ip's JSON is refused") {
  CHECK_THROWS_AS(parse_ip_addr_json("Object \"addr\" is unknown"), kvmr::InputError);
  CHECK_THROWS_AS(parse_ip_addr_json("{\"ifname\": \"x\"}"), kvmr::InputError);
  CHECK(parse_ip_addr_json("[]").empty());
}

TEST_CASE("the JSON document of the ports") {
  Nic n;
  n.name = "eno1";
  n.mac = "3c:ec:ef:01:02:03";
  n.driver = "e1000e";
  n.kind = "ethernet";
  n.link = LinkState::no_carrier;
  n.addresses = {{4, "192.168.7.5", 24, "global"}};
  const auto doc = network_report({n});
  CHECK(doc["kind"] == "kvm-rescue.network");
  CHECK(doc["schema_version"] == 1);
  CHECK(doc["nics"][0]["link"] == "no-carrier");
  CHECK(doc["nics"][0]["speed_mbps"].is_null());
  CHECK(doc["nics"][0]["addresses"][0]["family"] == "ipv4");
  CHECK(doc["nics"][0]["addresses"][0]["prefix"] == 24);
  CHECK_FALSE(doc.contains("result"));
}
