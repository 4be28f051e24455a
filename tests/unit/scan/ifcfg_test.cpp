// The shell assignment lexer and the ifcfg interpretation: the fixture
// host's files, static and DHCP, bridge ports, bonds, VLANs, and the odd
// quoting hand-edited files carry.
#include "rescue/scan/ifcfg.hpp"
#include "rescue/scan/shell_assign.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using namespace kvmr::scan;

namespace {

const std::string kDir = "/etc/sysconfig/network-scripts/";

bool has_warning(const std::vector<SourceNote> &w, int line, const std::string &part) {
  return std::any_of(w.begin(), w.end(), [&](const SourceNote &n) {
    return n.line == line && n.message.find(part) != std::string::npos;
  });
}

} // namespace

TEST_CASE("the fixture host's bridge and its port") {
  const HostInterface br = parse_ifcfg("TYPE=Bridge\nBOOTPROTO=static\nIPADDR=192.168.10.5\n"
                                       "PREFIX=24\nGATEWAY=192.168.10.1\nDNS1=192.168.10.1\n"
                                       "ONBOOT=yes\nDEVICE=br0\nNAME=br0\n",
                                       kDir + "ifcfg-br0");
  CHECK(br.device == "br0");
  CHECK(br.type == InterfaceType::bridge);
  CHECK(br.bootproto == BootProto::static_ip);
  CHECK(br.onboot);
  REQUIRE(br.addresses.size() == 1);
  CHECK(br.addresses[0].address == "192.168.10.5");
  CHECK(br.addresses[0].prefix == 24);
  CHECK(br.gateway == "192.168.10.1");
  CHECK(br.dns == std::vector<std::string>{"192.168.10.1"});
  CHECK(br.warnings.empty());

  const HostInterface eth =
      parse_ifcfg("DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nBRIDGE=br0\nONBOOT=yes\nTYPE=Ethernet\n",
                  kDir + "ifcfg-eth0");
  CHECK(eth.device == "eth0");
  CHECK(eth.type == InterfaceType::ethernet);
  CHECK(eth.bridge == "br0");
  CHECK(eth.mac() == "52:54:00:12:34:56");
  CHECK(eth.addresses.empty());
  CHECK(eth.bootproto == BootProto::unset);
  CHECK(eth.warnings.empty());
}

TEST_CASE("static and DHCP interfaces, device from the file name, MAC lower-cased") {
  const HostInterface dhcp = parse_ifcfg("BOOTPROTO=dhcp\nONBOOT=no\nHWADDR=52:54:00:AB:CD:EF\n"
                                         "DHCP_HOSTNAME=web\nNM_CONTROLLED=no\nDEFROUTE=yes\n"
                                         "IPV6INIT=no\nMTU=9000\n",
                                         kDir + "ifcfg-ens3");
  CHECK(dhcp.device == "ens3");
  CHECK(dhcp.bootproto == BootProto::dhcp);
  CHECK_FALSE(dhcp.onboot);
  CHECK(dhcp.hwaddr == "52:54:00:ab:cd:ef");
  CHECK(dhcp.hostname == "web");
  CHECK(dhcp.nm_controlled == false);
  CHECK(dhcp.defroute == true);
  CHECK(dhcp.ipv6init == false);
  CHECK(dhcp.mtu == 9000);
  CHECK(dhcp.addresses.empty());

  const HostInterface st = parse_ifcfg("DEVICE=em1\nBOOTPROTO=none\nIPADDR=10.1.2.3\n"
                                       "NETMASK=255.255.252.0\nMACADDR=AA-BB-CC-DD-EE-FF\n"
                                       "DOMAIN=\"example.jp lab.example.jp\"\nDNS2=10.0.0.2\n"
                                       "DNS1=10.0.0.1\nDNS10=10.0.0.10\n",
                                       kDir + "ifcfg-System_em1");
  CHECK(st.device == "em1");
  CHECK(st.bootproto == BootProto::none);
  REQUIRE(st.addresses.size() == 1);
  CHECK(st.addresses[0].prefix == 22);
  CHECK(st.macaddr == "aa:bb:cc:dd:ee:ff");
  CHECK(st.mac() == "aa:bb:cc:dd:ee:ff");
  CHECK(st.domain == "example.jp lab.example.jp");
  CHECK(st.dns == std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.10"});
  CHECK(st.onboot); // initscripts' default
}

TEST_CASE("numbered addresses, NETMASK to prefix and its disagreements") {
  const HostInterface i = parse_ifcfg("DEVICE=eth1\nIPADDR=192.168.1.10\nNETMASK=255.255.255.0\n"
                                      "IPADDR0=10.0.0.5\nPREFIX0=8\nIPADDR1=172.16.0.9\n"
                                      "NETMASK1=255.255.0.0\nPREFIX1=20\nIPADDR2=10.9.9.9\n"
                                      "IPADDR3=192.168.7.7\nNETMASK3=255.0.255.0\n",
                                      kDir + "ifcfg-eth1");
  REQUIRE(i.addresses.size() == 5);
  CHECK(i.addresses[0].index == -1);
  CHECK(i.addresses[0].prefix == 24);
  CHECK(i.addresses[1].index == 0);
  CHECK(i.addresses[1].prefix == 8);
  CHECK(i.addresses[2].index == 1);
  CHECK(i.addresses[2].prefix == 20); // PREFIX wins, as in initscripts
  CHECK(has_warning(i.warnings, 8, "disagree"));
  CHECK(i.addresses[3].prefix == 8); // class A default
  CHECK(has_warning(i.warnings, 9, "class-based /8"));
  CHECK(i.addresses[4].prefix == 24); // bad NETMASK3: class C default
  CHECK(has_warning(i.warnings, 11, "NETMASK3 is not a netmask"));

  CHECK(netmask_to_prefix("255.255.255.255") == 32);
  CHECK(netmask_to_prefix("0.0.0.0") == 0);
  CHECK(netmask_to_prefix("255.255.255.128") == 25);
  CHECK(netmask_to_prefix("255.0.255.0") == std::nullopt);
  CHECK(netmask_to_prefix("255.255.255") == std::nullopt);
  CHECK(netmask_to_prefix("255.255.255.256") == std::nullopt);
  CHECK(netmask_to_prefix("255.255.255.0.") == std::nullopt);
}

TEST_CASE("a bond and its slaves") {
  const HostInterface bond = parse_ifcfg("DEVICE=bond0\nBONDING_OPTS=\"mode=802.3ad miimon=100\"\n"
                                         "BOOTPROTO=static\nIPADDR=10.0.0.2\nPREFIX=24\n",
                                         kDir + "ifcfg-bond0");
  CHECK(bond.type == InterfaceType::bond);
  CHECK(bond.bonding_opts == "mode=802.3ad miimon=100");
  const HostInterface named = parse_ifcfg("ONBOOT=yes\n", kDir + "ifcfg-bond1");
  CHECK(named.type == InterfaceType::bond);
  const HostInterface typed = parse_ifcfg("TYPE=Bond\nDEVICE=uplink\n", kDir + "ifcfg-uplink");
  CHECK(typed.type == InterfaceType::bond);
  const HostInterface slave = parse_ifcfg("DEVICE=eth2\nMASTER=bond0\nSLAVE=yes\n"
                                          "HWADDR=00:1B:21:0A:0B:0C\n",
                                          kDir + "ifcfg-eth2");
  CHECK(slave.type == InterfaceType::ethernet);
  CHECK(slave.master == "bond0");
  CHECK(slave.slave);
  CHECK(slave.mac() == "00:1b:21:0a:0b:0c");
}

TEST_CASE("VLANs: id and parent from the device name, VLAN_ID and PHYSDEV") {
  const HostInterface dotted =
      parse_ifcfg("DEVICE=eth0.100\nVLAN=yes\nBRIDGE=br100\n", kDir + "ifcfg-eth0.100");
  CHECK(dotted.type == InterfaceType::vlan);
  CHECK(dotted.vlan_id == 100);
  CHECK(dotted.physdev == "eth0");
  CHECK(dotted.bridge == "br100");
  const HostInterface named =
      parse_ifcfg("DEVICE=vlan200\nPHYSDEV=bond0\nVLAN=yes\n", kDir + "ifcfg-vlan200");
  CHECK(named.type == InterfaceType::vlan);
  CHECK(named.vlan_id == 200);
  CHECK(named.physdev == "bond0");
  const HostInterface explicit_id =
      parse_ifcfg("TYPE=Vlan\nDEVICE=mgmt\nVLAN_ID=42\nPHYSDEV=eth1\n", kDir + "ifcfg-mgmt");
  CHECK(explicit_id.vlan_id == 42);
  CHECK(explicit_id.physdev == "eth1");
  const HostInterface bad =
      parse_ifcfg("TYPE=Vlan\nDEVICE=mgmt\nVLAN_ID=5000\n", kDir + "ifcfg-mgmt");
  CHECK_FALSE(bad.vlan_id.has_value());
  CHECK(has_warning(bad.warnings, 3, "no usable VLAN id"));
  CHECK(has_warning(bad.warnings, 0, "no parent device"));
}

TEST_CASE("bridge options and a bridge recognised by its name") {
  const HostInterface br =
      parse_ifcfg("DEVICE=br1\nSTP=on\nDELAY=0\nONBOOT=yes\n", kDir + "ifcfg-br1");
  CHECK(br.type == InterfaceType::bridge);
  CHECK(br.stp == true);
  CHECK(br.delay == "0");
  CHECK(has_warning(br.warnings, 0, "no TYPE=Bridge"));
  const HostInterface other = parse_ifcfg("TYPE=InfiniBand\nDEVICE=ib0\n", kDir + "ifcfg-ib0");
  CHECK(other.type == InterfaceType::other);
  CHECK(other.type_text == "InfiniBand");
}

TEST_CASE("shell quoting the way bash assigns it") {
  const std::string text = "# comment\n"
                           "\n"
                           "A=plain\n"
                           "B=\"double quoted\"\n"
                           "C='single $quoted \\n'\n"
                           "D=\"a\"'b'c\n"
                           "E=\"esc \\\" \\\\ \\$ \\` \\n\"\n"
                           "export F=exported\n"
                           "G=value # trailing comment\n"
                           "H=a#b\n"
                           "  I=indented\t\n"
                           "J=un\\ quoted\\ blank\n"
                           "K=\n"
                           "L=1 M=2; N=3\n"
                           "export O P=4\n"
                           "Q=x\nQ+=y\n";
  const ShellAssignments v = parse_shell_assignments(text, "/etc/x");
  CHECK(v.get("A") == "plain");
  CHECK(v.get("B") == "double quoted");
  CHECK(v.get("C") == "single $quoted \\n");
  CHECK(v.get("D") == "abc");
  CHECK(v.get("E") == "esc \" \\ $ ` \\n");
  CHECK(v.get("F") == "exported");
  CHECK(v.get("G") == "value");
  CHECK(v.get("H") == "a#b");
  CHECK(v.get("I") == "indented");
  CHECK(v.get("J") == "un quoted blank");
  CHECK(v.has("K"));
  CHECK(v.get("K").empty());
  CHECK(v.get("L") == "1");
  CHECK(v.get("M") == "2");
  CHECK(v.get("N") == "3");
  CHECK_FALSE(v.has("O"));
  CHECK(v.get("P") == "4");
  CHECK(v.get("Q") == "xy");
  CHECK(v.line_of("D") == 6);
  CHECK(v.line_of("N") == 14);
  CHECK(v.warnings.empty());
}

TEST_CASE("CRLF line endings, non-assignments, unterminated quotes, expansions") {
  const std::string text = "DEVICE=eth0\r\n"
                           "ONBOOT=\"yes\"\r\n"
                           "this is not an assignment\n"
                           "NAME=\"unterminated\n"
                           "UUID='also open\r\n"
                           "IPADDR=$ADDR\n"
                           "GATEWAY=\"${GW:-10.0.0.1}\"\n"
                           "PRICE='$5' COST=\\$6 LONE=$\n"
                           "MTU=1500 ifup eth0\n"
                           "BOOTPROTO=static\n";
  const ShellAssignments v = parse_shell_assignments(text, "/etc/x");
  CHECK(v.get("DEVICE") == "eth0");
  CHECK(v.get("ONBOOT") == "yes");
  CHECK(has_warning(v.warnings, 3, "not an assignment"));
  CHECK(v.get("NAME") == "unterminated");
  CHECK(has_warning(v.warnings, 4, "unterminated double quote"));
  CHECK(v.get("UUID") == "also open");
  CHECK(has_warning(v.warnings, 5, "unterminated single quote"));
  CHECK(v.get("IPADDR") == "$ADDR");
  CHECK(has_warning(v.warnings, 6, "IPADDR holds a shell expansion"));
  CHECK(v.get("GATEWAY") == "${GW:-10.0.0.1}");
  CHECK(has_warning(v.warnings, 7, "GATEWAY holds a shell expansion"));
  CHECK(v.get("PRICE") == "$5");
  CHECK(v.get("COST") == "$6");
  CHECK(v.get("LONE") == "$");
  CHECK_FALSE(has_warning(v.warnings, 8, "expansion"));
  CHECK(v.get("MTU") == "1500");
  CHECK(has_warning(v.warnings, 9, "would run as a command"));
  CHECK(v.get("BOOTPROTO") == "static");
  for (const SourceNote &n : v.warnings) {
    CHECK(n.file == "/etc/x");
  }
  CHECK(v.warnings.size() == 6);
  CHECK(v.warnings[0].text() == "/etc/x:3: not an assignment; line ignored");

  const HostInterface i = parse_ifcfg(text, kDir + "ifcfg-eth0");
  CHECK(i.device == "eth0");
  CHECK(i.warnings.size() >= 6);
  CHECK(has_warning(i.warnings, 6, "IPADDR is not an IPv4 address"));
}

TEST_CASE("a backslash-newline joins lines; Japanese values pass through") {
  const ShellAssignments v =
      parse_shell_assignments("BONDING_OPTS=mode=1\\\n miimon=100\nNAME=\"有線接続 1\"\n"
                              "COMMENT='事務所 の ブリッジ'\n",
                              "/etc/x");
  CHECK(v.get("BONDING_OPTS") == "mode=1");
  CHECK(v.line_of("NAME") == 3);
  CHECK(v.get("NAME") == "有線接続 1");
  CHECK(v.get("COMMENT") == "事務所 の ブリッジ");
}

TEST_CASE("yes and no as initscripts reads them") {
  CHECK(parse_shell_bool("YES") == true);
  CHECK(parse_shell_bool("on") == true);
  CHECK(parse_shell_bool("1") == true);
  CHECK(parse_shell_bool("No") == false);
  CHECK(parse_shell_bool("off") == false);
  CHECK(parse_shell_bool("") == std::nullopt);
  CHECK(parse_shell_bool("maybe") == std::nullopt);
  const HostInterface i = parse_ifcfg("ONBOOT=maybe\n", kDir + "ifcfg-eth9");
  CHECK(i.onboot);
  CHECK(has_warning(i.warnings, 1, "neither yes nor no"));
}
