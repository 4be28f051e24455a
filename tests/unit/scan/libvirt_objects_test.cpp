// Network, storage pool, secret and snapshot XML: the fixture host's real
// files and hand-written samples, all checked by virt-xml-validate.
#include "rescue/scan/network_xml.hpp"
#include "rescue/scan/pool_xml.hpp"
#include "rescue/scan/secret_xml.hpp"
#include "rescue/scan/snapshot_xml.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/libvirt_fixture.hpp"

#include <doctest/doctest.h>

using kvmr::InputError;
using namespace kvmr::scan;
using namespace kvmr::test;

namespace {

const std::string secret_file = "etc/libvirt/secrets/4b564d52-5300-4000-8000-000000000001.xml";

template <class F> std::string input_error(F f) {
  try {
    f();
  } catch (const InputError &e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("the fixture's network, pool and secret and the samples are valid libvirt XML") {
  TempDir dir;
  write_fixture_libvirt(dir.path().string());
  require_valid(dir / "etc/libvirt/qemu/networks/default.xml", "network");
  require_valid(dir / "etc/libvirt/storage/default.xml", "storagepool");
  require_valid(dir / secret_file, "secret");
  require_valid(libvirt_data("network-routed.xml"), "network");
  require_valid(libvirt_data("network-isolated.xml"), "network");
  require_valid(libvirt_data("pool-logical.xml"), "storagepool");
  require_valid(libvirt_data("pool-netfs.xml"), "storagepool");
  require_valid(libvirt_data("secret-volume.xml"), "secret");
  require_valid(libvirt_data("secret-iscsi.xml"), "secret");
  require_valid(libvirt_data("snapshot-before-upgrade.xml"), "domainsnapshot");
  require_valid(libvirt_data("snapshot-after-upgrade.xml"), "domainsnapshot");
}

TEST_CASE("networks: the fixture's NAT default, a routed one with hosts, an isolated one") {
  TempDir dir;
  write_fixture_libvirt(dir.path().string());
  const std::string text = read_text(dir / "etc/libvirt/qemu/networks/default.xml");
  const Network def = parse_network_xml(text, "default.xml");
  CHECK(def.name == "default");
  CHECK(def.uuid == "4b564d52-4e00-4000-8000-000000000001");
  CHECK(def.forward_mode == "nat");
  CHECK(def.bridge == "virbr0");
  CHECK(def.mac == "52:54:00:4b:56:fe");
  CHECK(def.xml == text);
  REQUIRE(def.ips.size() == 1);
  CHECK(def.ips[0].family == "ipv4");
  CHECK(def.ips[0].address == "192.168.122.1");
  CHECK(def.ips[0].netmask == "255.255.255.0");
  CHECK_FALSE(def.ips[0].prefix.has_value());
  REQUIRE(def.ips[0].ranges.size() == 1);
  CHECK(def.ips[0].ranges[0].start == "192.168.122.2");
  CHECK(def.ips[0].ranges[0].end == "192.168.122.254");
  CHECK(def.ips[0].hosts.empty());

  const Network lab = parse_network_xml(read_text(libvirt_data("network-routed.xml")), "lab.xml");
  CHECK(lab.forward_mode == "route");
  CHECK(lab.forward_dev == "eth1");
  REQUIRE(lab.ips.size() == 2);
  CHECK(lab.ips[0].prefix == 24U);
  CHECK(lab.ips[0].netmask.empty());
  REQUIRE(lab.ips[0].ranges.size() == 2);
  CHECK(lab.ips[0].ranges[1].start == "10.20.30.200");
  REQUIRE(lab.ips[0].hosts.size() == 2);
  CHECK(lab.ips[0].hosts[0].mac == "52:54:00:4b:56:f1");
  CHECK(lab.ips[0].hosts[0].name == "lab-efi");
  CHECK(lab.ips[0].hosts[0].ip == "10.20.30.10");
  CHECK(lab.ips[1].family == "ipv6");
  CHECK(lab.ips[1].address == "fd00:4b56::1");
  CHECK(lab.ips[1].prefix == 64U);

  const Network iso =
      parse_network_xml(read_text(libvirt_data("network-isolated.xml")), "isolated.xml");
  CHECK(iso.forward_mode.empty());
  CHECK(iso.bridge == "virbr2");
  CHECK(iso.ips.empty());

  CHECK(parse_network_xml("<network><name>n</name><forward/></network>", "n.xml").forward_mode ==
        "nat");
  CHECK(input_error([] {
          (void)parse_network_xml("<network><uuid>u</uuid></network>", "n.xml");
        }).find("n.xml:1: the network has no <name>") == 0);
  CHECK(input_error([] {
          (void)parse_network_xml("<network><name>n</name>\n<ip prefix='33x'/></network>", "n.xml");
        }).find("n.xml:2: <ip prefix='33x'>") == 0);
  CHECK(input_error([] { (void)parse_network_xml("<pool/>", "n.xml"); }).find("not <network>") !=
        std::string::npos);
}

TEST_CASE("storage pools: the fixture's dir pool, a logical and a netfs pool") {
  TempDir dir;
  write_fixture_libvirt(dir.path().string());
  const StoragePool def =
      parse_pool_xml(read_text(dir / "etc/libvirt/storage/default.xml"), "default.xml");
  CHECK(def.name == "default");
  CHECK(def.uuid == "4b564d52-5000-4000-8000-000000000001");
  CHECK(def.type == "dir");
  CHECK(def.target_path == "/var/lib/libvirt/images");
  CHECK(def.source_devices.empty());
  CHECK(def.source_name.empty());

  const StoragePool lv = parse_pool_xml(read_text(libvirt_data("pool-logical.xml")), "l.xml");
  CHECK(lv.type == "logical");
  CHECK(lv.source_devices == std::vector<std::string>{"/dev/sdb1", "/dev/sdc1"});
  CHECK(lv.source_name == "vmdata");
  CHECK(lv.source_format == "lvm2");
  CHECK(lv.target_path == "/dev/vmdata");

  const StoragePool nfs = parse_pool_xml(read_text(libvirt_data("pool-netfs.xml")), "n.xml");
  CHECK(nfs.type == "netfs");
  CHECK(nfs.source_hosts == std::vector<std::string>{"nas.example.jp"});
  CHECK(nfs.source_dir == "/export/isos");
  CHECK(nfs.source_format == "nfs");
  CHECK(nfs.target_path == "/var/lib/libvirt/isos");

  CHECK(input_error([] { (void)parse_pool_xml("<pool type='dir'/>", "p.xml"); }) ==
        "p.xml:1: the pool has no <name>");
}

TEST_CASE("secrets: usage and flags, never a value") {
  TempDir dir;
  write_fixture_libvirt(dir.path().string());
  const Secret ceph = parse_secret_xml(read_text(dir / secret_file), "s.xml");
  CHECK(ceph.uuid == "4b564d52-5300-4000-8000-000000000001");
  CHECK(ceph.usage_type == "ceph");
  CHECK(ceph.usage_id == "client.libvirt secret");
  CHECK(ceph.description == "CEPH passphrase for client.libvirt (backup pool)");
  CHECK_FALSE(ceph.ephemeral);
  CHECK_FALSE(ceph.is_private);

  const Secret vol = parse_secret_xml(read_text(libvirt_data("secret-volume.xml")), "v.xml");
  CHECK(vol.usage_type == "volume");
  CHECK(vol.usage_id == "/var/lib/libvirt/images/lab-data.luks");
  CHECK(vol.ephemeral);
  CHECK(vol.is_private);

  const Secret iscsi = parse_secret_xml(read_text(libvirt_data("secret-iscsi.xml")), "i.xml");
  CHECK(iscsi.usage_type == "iscsi");
  CHECK(iscsi.usage_id == "libvirtiscsi");
  CHECK(iscsi.description.empty());

  CHECK(input_error([] { (void)parse_secret_xml("<secret/>", "x.xml"); }) ==
        "x.xml:1: the secret has no <uuid>");
}

TEST_CASE("snapshot metadata: name, domain, state, time, parent and disks") {
  const DomainSnapshot before = parse_snapshot_xml(
      read_text(libvirt_data("snapshot-before-upgrade.xml")), "before-upgrade.xml");
  CHECK(before.name == "before-upgrade");
  CHECK(before.domain_name == "mail01");
  CHECK(before.state == "shutoff");
  CHECK(before.creation_time == 1614650000);
  CHECK(before.parent.empty());
  CHECK(before.description == "mail01 before the postfix upgrade");
  CHECK(before.memory == "no");
  CHECK_FALSE(before.current);
  REQUIRE(before.disks.size() == 1);
  CHECK(before.disks[0].name == "vda");
  CHECK(before.disks[0].snapshot == "internal");

  const DomainSnapshot after = parse_snapshot_xml(
      read_text(libvirt_data("snapshot-after-upgrade.xml")), "after-upgrade.xml");
  CHECK(after.parent == "before-upgrade");
  CHECK(after.state == "running");
  CHECK(after.memory == "internal");
  CHECK(after.current);
  CHECK(after.creation_time == 1614653600);

  const DomainSnapshot ext = parse_snapshot_xml(
      "<domainsnapshot><name>s</name><disks><disk name='vda' snapshot='external'>"
      "<source file='/var/lib/libvirt/images/x.s'/></disk></disks></domainsnapshot>",
      "s.xml");
  CHECK_FALSE(ext.creation_time.has_value());
  CHECK(ext.domain_name.empty());
  CHECK(ext.disks.at(0).source_file == "/var/lib/libvirt/images/x.s");

  CHECK(input_error([] {
          (void)parse_snapshot_xml(
              "<domainsnapshot><name>s</name><creationTime>soon</creationTime></domainsnapshot>",
              "s.xml");
        }).find("<creationTime>soon</creationTime>") != std::string::npos);
  CHECK(input_error([] { (void)parse_snapshot_xml("<domainsnapshot/>", "s.xml"); }) ==
        "s.xml:1: the snapshot has no <name>");
}
