// Domain XML: the fixture host's real domains (as libvirt 4.5 wrote them)
// and a hand-written sample with every kind of disk, interface and firmware.
#include "rescue/scan/domain_xml.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/libvirt_fixture.hpp"

#include <doctest/doctest.h>

using kvmr::InputError;
using kvmr::scan::Domain;
using kvmr::scan::parse_domain_xml;
using kvmr::scan::scale_to_bytes;
using namespace kvmr::test;

namespace {

constexpr std::uint64_t kib = 1024;
constexpr std::uint64_t gib = 1024ULL * 1024 * 1024;

struct FixtureDomains {
  TempDir dir;
  FixtureDomains() { write_fixture_libvirt(dir.path().string()); }
  [[nodiscard]] std::string path(const std::string &file) const {
    return dir / ("etc/libvirt/qemu/" + file + ".xml");
  }
  [[nodiscard]] Domain parse(const std::string &file) const {
    return parse_domain_xml(read_text(path(file)), "/etc/libvirt/qemu/" + file + ".xml");
  }
};

std::string input_error(const std::string &xml) {
  try {
    (void)parse_domain_xml(xml, "/etc/libvirt/qemu/t.xml");
  } catch (const InputError &e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("the fixture's domain XML is valid libvirt XML") {
  const FixtureDomains fx;
  for (const char *name : {"web01", "mail01", "app01", "db01"}) {
    require_valid(fx.path(name), "domain");
  }
  require_valid(fx.path(hostile_file), "domain");
  require_valid(libvirt_data("domain-features.xml"), "domain");
}

TEST_CASE("fixture web01: BIOS, raw image, bridge br0") {
  const FixtureDomains fx;
  const Domain d = fx.parse("web01");
  CHECK(d.name == "web01");
  CHECK(d.uuid == "4b564d52-d000-4000-8000-000000000001");
  CHECK(d.type == "kvm");
  CHECK(d.title.empty());
  CHECK(d.memory_bytes == 2097152 * kib);
  CHECK(d.current_memory_bytes == 2 * gib);
  CHECK(d.vcpus == 2);
  CHECK(d.current_vcpus == 2);
  CHECK(d.os_type == "hvm");
  CHECK(d.arch == "x86_64");
  CHECK(d.machine == "pc-i440fx-rhel7.0.0");
  CHECK(d.firmware.empty());
  CHECK_FALSE(d.loader.has_value());
  CHECK_FALSE(d.nvram.has_value());
  CHECK_FALSE(d.uefi());
  REQUIRE(d.disks.size() == 1);
  const auto &disk = d.disks[0];
  CHECK(disk.device == "disk");
  CHECK(disk.driver_name == "qemu");
  CHECK(disk.source.type == "file");
  CHECK(disk.source.format == "raw");
  CHECK(disk.source.file == "/var/lib/libvirt/images/web01.img");
  CHECK(disk.source.path() == "/var/lib/libvirt/images/web01.img");
  CHECK(disk.backing.empty());
  CHECK(disk.target_dev == "vda");
  CHECK(disk.target_bus == "virtio");
  CHECK_FALSE(disk.readonly);
  CHECK_FALSE(disk.shareable);
  REQUIRE(d.interfaces.size() == 1);
  CHECK(d.interfaces[0].type == "bridge");
  CHECK(d.interfaces[0].mac == "52:54:00:4b:56:01");
  CHECK(d.interfaces[0].source_bridge == "br0");
  CHECK(d.interfaces[0].source_network.empty());
  CHECK(d.interfaces[0].model == "virtio");
  REQUIRE(d.graphics.size() == 1);
  CHECK(d.graphics[0].type == "vnc");
  CHECK(d.graphics[0].port == -1);
  CHECK(d.graphics[0].autoport);
  CHECK(d.graphics[0].listen.empty());
  // The text is kept byte for byte, libvirt's warning comment included.
  CHECK(d.xml == read_text(fx.path("web01")));
  CHECK(d.xml.find("WARNING: THIS IS AN AUTO-GENERATED FILE") != std::string::npos);
}

TEST_CASE("fixture mail01, app01, db01: qcow2 on a network, UEFI with NVRAM, a block LV") {
  const FixtureDomains fx;
  const Domain mail = fx.parse("mail01");
  REQUIRE(mail.disks.size() == 1);
  CHECK(mail.disks[0].source.format == "qcow2");
  CHECK(mail.disks[0].source.file == "/var/lib/libvirt/images/mail01.qcow2");
  REQUIRE(mail.interfaces.size() == 1);
  CHECK(mail.interfaces[0].type == "network");
  CHECK(mail.interfaces[0].source_network == "default");
  CHECK(mail.interfaces[0].source_bridge.empty());
  CHECK(mail.interfaces[0].mac == "52:54:00:4b:56:02");

  const Domain app = fx.parse("app01");
  CHECK(app.memory_bytes == 4 * gib);
  CHECK(app.machine == "pc-q35-rhel7.6.0");
  REQUIRE(app.loader.has_value());
  CHECK(app.loader->path == "/usr/share/OVMF/OVMF_CODE.secboot.fd");
  CHECK(app.loader->readonly);
  CHECK(app.loader->type == "pflash");
  CHECK_FALSE(app.loader->secure);
  REQUIRE(app.nvram.has_value());
  CHECK(app.nvram->path == "/var/lib/libvirt/qemu/nvram/app01_VARS.fd");
  CHECK(app.nvram->template_path.empty());
  CHECK(app.uefi());
  CHECK(app.disks.at(0).source.file == "/var/lib/libvirt/images/app01.qcow2");
  CHECK(app.interfaces.at(0).mac == "52:54:00:4b:56:03");

  const Domain db = fx.parse("db01");
  CHECK(db.vcpus == 4);
  REQUIRE(db.disks.size() == 1);
  CHECK(db.disks[0].source.type == "block");
  CHECK(db.disks[0].source.format == "raw");
  CHECK(db.disks[0].source.dev == "/dev/centos/db01");
  CHECK(db.disks[0].source.file.empty());
  CHECK(db.disks[0].source.path() == "/dev/centos/db01");
  CHECK(db.interfaces.at(0).source_bridge == "br0");
}

TEST_CASE("fixture: the hostile, Japanese name comes through unchanged") {
  const FixtureDomains fx;
  const Domain d = fx.parse(hostile_file);
  CHECK(d.name == hostile_name);
  CHECK(d.name.find("ウェブ") != std::string::npos);
  CHECK(d.uuid == "4b564d52-d000-4000-8000-000000000005");
  CHECK(d.memory_bytes == 1 * gib);
  REQUIRE(d.disks.size() == 1);
  CHECK(d.disks[0].source.file == "/var/lib/libvirt/images/" + hostile_file + ".img");
  CHECK(d.interfaces.at(0).source_network == "default");

  const Domain jp = parse_domain_xml("<domain type='kvm'><name>ウェブサーバー01</name>"
                                     "<title>本番 &amp; \"検証\"</title>"
                                     "<memory unit='MiB'>512</memory></domain>",
                                     "/etc/libvirt/qemu/ウェブサーバー01.xml");
  CHECK(jp.name == "ウェブサーバー01");
  CHECK(jp.title == "本番 & \"検証\"");
  CHECK(jp.memory_bytes == 512ULL * 1024 * 1024);
}

TEST_CASE("every kind of disk, interface, graphics and firmware") {
  const Domain d = parse_domain_xml(read_text(libvirt_data("domain-features.xml")), "f.xml");
  CHECK(d.type == "qemu");
  CHECK(d.title == "Lab & test VM");
  CHECK(d.memory_bytes == 3 * gib);
  CHECK(d.current_memory_bytes == 1536ULL * 1024 * 1024);
  CHECK(d.vcpus == 4);
  CHECK(d.current_vcpus == 2);
  CHECK(d.firmware == "efi");
  REQUIRE(d.loader.has_value());
  CHECK(d.loader->secure);
  CHECK(d.nvram->path == "/var/lib/libvirt/qemu/nvram/lab-efi_VARS.fd");
  CHECK(d.nvram->template_path == "/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd");

  REQUIRE(d.disks.size() == 6);
  const auto &chain = d.disks[0];
  CHECK(chain.source.file == "/var/lib/libvirt/images/lab-efi.qcow2");
  REQUIRE(chain.backing.size() == 2);
  CHECK(chain.backing[0].type == "file");
  CHECK(chain.backing[0].format == "qcow2");
  CHECK(chain.backing[0].file == "/var/lib/libvirt/images/lab-base.qcow2");
  CHECK(chain.backing[1].format == "raw");
  CHECK(chain.backing[1].file == "/var/lib/libvirt/images/lab-golden.img");

  const auto &lun = d.disks[1];
  CHECK(lun.device == "lun");
  CHECK(lun.source.dev == "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4");
  CHECK(lun.target_bus == "scsi");
  CHECK(lun.shareable);
  CHECK_FALSE(lun.readonly);

  const auto &vol = d.disks[2];
  CHECK(vol.source.type == "volume");
  CHECK(vol.source.pool == "vmdata");
  CHECK(vol.source.volume == "lab-data");
  CHECK(vol.source.path().empty());

  const auto &net = d.disks[3];
  CHECK(net.source.type == "network");
  CHECK(net.source.protocol == "rbd");
  CHECK(net.source.name == "rbd/lab-logs");

  CHECK(d.disks[4].device == "cdrom");
  CHECK(d.disks[4].readonly);
  CHECK(d.disks[4].target_dev == "sdb");
  CHECK(d.disks[5].device == "floppy");
  CHECK(d.disks[5].source.path().empty());

  REQUIRE(d.interfaces.size() == 2);
  CHECK(d.interfaces[0].type == "direct");
  CHECK(d.interfaces[0].source_dev == "eth1");
  CHECK(d.interfaces[0].source_mode == "vepa");
  CHECK(d.interfaces[0].model == "e1000");
  CHECK(d.interfaces[1].type == "user");
  CHECK(d.interfaces[1].mac == "52:54:00:4b:56:f2");
  CHECK(d.interfaces[1].model == "rtl8139");

  REQUIRE(d.graphics.size() == 2);
  CHECK(d.graphics[0].type == "spice");
  CHECK(d.graphics[0].port == 5901);
  CHECK_FALSE(d.graphics[0].autoport);
  CHECK(d.graphics[0].listen == "127.0.0.1");
  CHECK_FALSE(d.graphics[1].port.has_value());
  CHECK(d.graphics[1].listen == "0.0.0.0");
}

TEST_CASE("memory units scale as libvirt's virScaleInteger") {
  CHECK(scale_to_bytes("7", "", "KiB", "m") == 7 * 1024);
  CHECK(scale_to_bytes(" 7\n", "b", "KiB", "m") == 7);
  CHECK(scale_to_bytes("7", "bytes", "KiB", "m") == 7);
  CHECK(scale_to_bytes("7", "k", "KiB", "m") == 7 * 1024);
  CHECK(scale_to_bytes("7", "KiB", "b", "m") == 7 * 1024);
  CHECK(scale_to_bytes("7", "KB", "KiB", "m") == 7000);
  CHECK(scale_to_bytes("7", "M", "KiB", "m") == 7 * 1024 * 1024);
  CHECK(scale_to_bytes("7", "MiB", "KiB", "m") == 7 * 1024 * 1024);
  CHECK(scale_to_bytes("7", "MB", "KiB", "m") == 7000000);
  CHECK(scale_to_bytes("2", "G", "KiB", "m") == 2 * gib);
  CHECK(scale_to_bytes("2", "gib", "KiB", "m") == 2 * gib);
  CHECK(scale_to_bytes("2", "GB", "KiB", "m") == 2000000000ULL);
  CHECK(scale_to_bytes("3", "T", "KiB", "m") == 3 * gib * 1024);
  CHECK(scale_to_bytes("3", "TB", "KiB", "m") == 3000000000000ULL);
  CHECK(scale_to_bytes("1", "PiB", "KiB", "m") == gib * gib / 1024);
  CHECK(scale_to_bytes("15", "E", "KiB", "m") == 15ULL << 60);
  CHECK_THROWS_AS((void)scale_to_bytes("16", "E", "KiB", "m"), InputError);
  CHECK_THROWS_AS((void)scale_to_bytes("18446744073709551615", "KiB", "KiB", "m"), InputError);
  CHECK_THROWS_AS((void)scale_to_bytes("7", "Q", "KiB", "m"), InputError);
  CHECK_THROWS_AS((void)scale_to_bytes("7", "KiBB", "KiB", "m"), InputError);
  CHECK_THROWS_AS((void)scale_to_bytes("-1", "KiB", "KiB", "m"), InputError);
  CHECK_THROWS_AS((void)scale_to_bytes("1.5", "G", "KiB", "m"), InputError);
  CHECK_THROWS_AS((void)scale_to_bytes("", "G", "KiB", "m"), InputError);
}

TEST_CASE("missing or malformed elements are InputErrors naming the file and line") {
  CHECK(input_error("<domain><memory>1</memory></domain>") ==
        "/etc/libvirt/qemu/t.xml:1: the domain has no <name>");
  CHECK(input_error("<domain>\n<name>a</name>\n</domain>") ==
        "/etc/libvirt/qemu/t.xml:1: the domain has no <memory>");
  CHECK(input_error("<network><name>a</name></network>")
            .find("root element is <network>, not <domain>") != std::string::npos);
  CHECK(input_error("<domain><name>a</name>\n<memory unit='parsec'>1</memory></domain>") ==
        "/etc/libvirt/qemu/t.xml:2: <memory>: unknown unit 'parsec'");
  CHECK(input_error("<domain><name>a</name><memory>lots</memory></domain>")
            .find("'lots' is not a number") != std::string::npos);
  CHECK(input_error("<domain><name>a</name><memory>1</memory><vcpu>two</vcpu></domain>")
            .find("<vcpu>two</vcpu>: not a number") != std::string::npos);
  CHECK(input_error("<domain><name>a</name><memory>1</memory><os>"
                    "<loader readonly='maybe'>/x</loader></os></domain>")
            .find("expected yes or no") != std::string::npos);
  CHECK(input_error("<domain><name>a</name><memory>1</memory><devices>"
                    "<graphics type='vnc' port='59o1'/></devices></domain>")
            .find("port='59o1'") != std::string::npos);

  // Optional parts may all be absent.
  const Domain bare =
      parse_domain_xml("<domain><name> bare </name><memory>4</memory></domain>", "b.xml");
  CHECK(bare.name == "bare");
  CHECK(bare.uuid.empty());
  CHECK(bare.type.empty());
  CHECK(bare.memory_bytes == 4096);
  CHECK(bare.current_memory_bytes == 4096);
  CHECK(bare.vcpus == 1);
  CHECK(bare.disks.empty());
  CHECK(bare.interfaces.empty());
  CHECK(bare.graphics.empty());
  CHECK(bare.os_type.empty());
}
